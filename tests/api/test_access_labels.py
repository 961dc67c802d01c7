"""Access labels over HTTP in one process: relabelling without re-embedding, a restricted
collection default, tenant collections, uploads with labels and bad labels (4xx naming the
field). The real embedded engine; a hashing embedder that counts what it embeds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.memory import HashingEmbedder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.app import create_app
from ragmono.domain import DependencyHealth, EmbedderRef
from ragmono.lifespan import Adapters
from tests.conftest import SettingsFactory
from tests.support.asgi import asgi_client
from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET, bearer, claims, hs256

ADMIN = "admin-token-0123456789abcdefghijklmnopqrs"


class CountingEmbedder:
    """The hashing twin, counting the document texts it embeds."""

    def __init__(self) -> None:
        self._inner = HashingEmbedder()
        self.documents = 0

    @property
    def ref(self) -> EmbedderRef:
        return self._inner.ref

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        self.documents += len(texts)
        return await self._inner.embed_documents(texts)

    async def embed_query(self, text: str) -> list[float]:
        return await self._inner.embed_query(text)

    async def health(self) -> DependencyHealth:
        return await self._inner.health()

    async def close(self) -> None:
        return None


def jwt(sub: str, **extra: Any) -> dict[str, str]:
    return bearer(hs256(claims(("search", "query", "ingest"), sub=sub, **extra)))


ALL = {"X-Service-Token": ADMIN}
FINANCE = jwt("fay", groups=["finance"])
HR = jwt("hal", groups="hr ops")  # a space-separated string is read as a list too
ACME = jwt("ann", tenant="acme")
GLOBEX = jwt("gus", tenant="globex")


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder to sync, inside ``ingest.allowed_roots``."""
    root = tmp_path / "shared"
    (root / "finance").mkdir(parents=True)
    (root / "finance" / "plan.md").write_text("# Plan\n\nQuarterly plan for the finance team.")
    return root


@pytest.fixture
async def http(
    make_settings: SettingsFactory, embedder: CountingEmbedder, tree: Path
) -> AsyncIterator[Any]:
    settings = make_settings(
        ingest__allowed_roots=str(tree),
        profile="prod",
        auth__service_tokens=f"{ADMIN}#access:all",
        auth__jwt_secret=JWT_SECRET,
        auth__issuer=ISSUER,
        auth__audience=AUDIENCE,
        rate_limit__default="1000000/minute",
    )
    store = EmbeddedVectorStore(settings.data_path / "vectors")
    adapters = Adapters(vector_store=store, embedder=embedder, sparse_encoder=Bm25Encoder())
    async with asgi_client(create_app(settings, adapters=adapters)) as client:
        yield client
    await store.close()


async def ingest(http: Any, collection: str, *docs: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(
        f"/api/v1/collections/{collection}/documents", json={"documents": list(docs)}, headers=ALL
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def found(http: Any, headers: dict[str, str], collection: str = "corp") -> set[str]:
    body = {"query": "quarterly", "collection": collection, "top_k": 20, "mode": "dense"}
    response = await http.post("/api/v1/search", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return {h["document_id"] for h in response.json()["results"]}


async def make(http: Any, name: str, **extra: Any) -> None:
    response = await http.post("/api/v1/collections", json={"name": name, **extra}, headers=ALL)
    assert response.status_code == 201, response.text


async def test_relabelling_takes_effect_on_the_next_request_without_embedding(
    http: Any, embedder: CountingEmbedder
) -> None:
    await make(http, "corp")
    text = "Quarterly budget. " * 200  # several chunks
    await ingest(http, "corp", {"id": "budget", "text": text, "access": ["group:finance"]})
    assert await found(http, FINANCE) == {"budget"}
    assert await found(http, HR) == set()  # and now both answers are cached
    embedded = embedder.documents

    response = await http.patch(
        "/api/v1/collections/corp/documents/budget", json={"access": ["group:hr"]}, headers=ALL
    )
    assert response.status_code == 200, response.text
    assert response.json()["access"] == ["group:hr"]
    assert await found(http, FINANCE) == set()
    assert await found(http, HR) == {"budget"}
    listed = await http.get("/api/v1/collections/corp/documents", headers=HR)
    assert [d["access"] for d in listed.json()["items"]] == [["group:hr"]]

    # The same text sent again with other labels: relabelled in place, reported as updated.
    report = await ingest(http, "corp", {"id": "budget", "text": text, "access": ["public"]})
    assert [r["status"] for r in report["results"]] == ["updated"]
    assert await found(http, FINANCE) == {"budget"}
    assert embedder.documents == embedded  # no chunk was embedded again


async def test_a_caller_cannot_relabel_or_delete_what_it_cannot_read(http: Any) -> None:
    await make(http, "corp")
    await ingest(http, "corp", {"id": "budget", "text": "Quarterly.", "access": ["group:finance"]})
    url = "/api/v1/collections/corp/documents/budget"
    hijack = await http.patch(url, json={"access": ["group:hr"]}, headers=HR)
    assert hijack.status_code == 404, hijack.text
    assert (await http.delete(url, headers=HR)).status_code == 404
    assert (await http.get(url, headers=HR)).status_code == 404
    assert (await http.get(url, headers=FINANCE)).status_code == 200
    assert (await http.delete(url, headers=FINANCE)).status_code == 204


async def test_restricted_collections_hide_unlabelled_documents(http: Any) -> None:
    await make(http, "corp", default_access="restricted")
    await ingest(
        http,
        "corp",
        {"id": "plain", "text": "Quarterly plain note."},
        {"id": "open", "text": "Quarterly open note.", "access": ["public"]},
        {"id": "fin", "text": "Quarterly finance note.", "access": ["group:finance"]},
    )
    assert await found(http, FINANCE) == {"open", "fin"}
    assert await found(http, HR) == {"open"}
    assert await found(http, ALL) == {"plain", "open", "fin"}
    # Back to public: the next request sees the unlabelled document.
    response = await http.patch(
        "/api/v1/collections/corp", json={"default_access": "public"}, headers=ALL
    )
    assert response.status_code == 200, response.text
    assert await found(http, HR) == {"plain", "open"}


async def test_a_tenant_collection_is_invisible_to_other_tenants(http: Any) -> None:
    await make(http, "acme-docs", tenant="acme")
    await ingest(http, "acme-docs", {"id": "a", "text": "Quarterly acme plan."})
    listed = await http.get("/api/v1/collections", headers=GLOBEX)
    assert "acme-docs" not in [c["name"] for c in listed.json()["items"]]
    listed = await http.get("/api/v1/collections", headers=ACME)
    assert "acme-docs" in [c["name"] for c in listed.json()["items"]]
    assert await found(http, ACME, "acme-docs") == {"a"}
    body = {"query": "quarterly", "collection": "acme-docs"}
    for path in ("/api/v1/search", "/api/v1/query"):
        response = await http.post(path, json=body, headers=GLOBEX)
        assert response.status_code == 404, response.text
    models = await http.get("/v1/models", headers=GLOBEX)
    assert "rag/acme-docs" not in [m["id"] for m in models.json()["data"]]
    # Giving a collection to a tenant one is not in is refused, naming the field.
    refused = await http.post(
        "/api/v1/collections", json={"name": "x", "tenant": "acme"}, headers=GLOBEX
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "body.tenant"


async def test_uploads_take_labels_and_bad_labels_are_refused_naming_the_field(
    http: Any,
) -> None:
    await make(http, "corp")
    files = [("files", ("budget.md", b"# Budget\n\nQuarterly budget figures."))]
    response = await http.post(
        "/api/v1/collections/corp/documents/upload",
        params={"access": "group:finance, user:bo"},
        files=files,
        headers=ALL,
    )
    assert response.status_code == 200, response.text
    assert await found(http, FINANCE) == {response.json()["results"][0]["id"]}
    assert await found(http, HR) == set()

    bad_upload = await http.post(
        "/api/v1/collections/corp/documents/upload",
        params={"access": "finance"},
        files=files,
        headers=ALL,
    )
    assert bad_upload.status_code in (400, 422), bad_upload.text
    assert bad_upload.json()["field"] == "access"
    bad_json = await http.post(
        "/api/v1/collections/corp/documents",
        json={"documents": [{"text": "x", "access": ["access:all"]}]},
        headers=ALL,
    )
    assert bad_json.status_code in (400, 422), bad_json.text
    assert bad_json.json()["field"].startswith("body.documents[0].access")
    bad_patch = await http.patch(
        "/api/v1/collections/corp/documents/nope", json={"access": ["group: x"]}, headers=ALL
    )
    assert bad_patch.status_code in (400, 422), bad_patch.text


async def test_a_synced_folder_gets_the_labels_of_its_request(http: Any, tree: Path) -> None:
    await make(http, "corp")
    body = {"path": str(tree / "finance"), "access": ["group:finance"]}
    response = await http.post("/api/v1/collections/corp/sync", json=body, headers=ALL)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    for _ in range(200):
        job = (await http.get(location, headers=ALL)).json()
        if job["state"] not in ("queued", "running"):
            break
        await asyncio.sleep(0.05)
    assert job["state"] == "succeeded", job
    assert len(await found(http, FINANCE)) == 1
    assert await found(http, HR) == set()


async def test_a_writer_cannot_replace_a_document_it_cannot_read(http: Any) -> None:
    await make(http, "corp")
    await ingest(
        http, "corp", {"id": "budget", "text": "Quarterly budget.", "access": ["group:finance"]}
    )
    url = "/api/v1/collections/corp/documents"
    hijack = {"documents": [{"id": "budget", "text": "Quarterly lies.", "access": ["group:hr"]}]}
    response = await http.post(url, json=hijack, headers=HR)
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["status"], result["error_status"]) == ("failed", 409)
    assert await found(http, FINANCE) == {"budget"}
    assert await found(http, HR) == set()
    # Its own documents, and documents it can read, it writes as usual.
    mine = {
        "documents": [{"id": "budget", "text": "Quarterly budget v2.", "access": ["group:finance"]}]
    }
    response = await http.post(url, json=mine, headers=FINANCE)
    assert [r["status"] for r in response.json()["results"]] == ["updated"]


async def test_a_watched_folder_gives_its_labels_to_every_document(http: Any, tree: Path) -> None:
    await make(http, "corp")
    url = "/api/v1/collections/corp/watches"
    bad = await http.post(url, json={"path": str(tree / "finance"), "access": ["hr"]}, headers=ALL)
    assert bad.status_code == 422, bad.text
    assert bad.json()["field"].startswith("body.access")
    body = {"path": str(tree / "finance"), "access": ["group:finance"]}
    response = await http.post(url, json=body, headers=ALL)
    assert response.status_code == 201, response.text
    assert response.json()["access"] == ["group:finance"]
    for _ in range(400):
        if await found(http, FINANCE):
            break
        await asyncio.sleep(0.05)
    assert len(await found(http, FINANCE)) == 1
    assert await found(http, HR) == set()


async def test_jobs_are_shown_to_callers_who_could_read_what_they_write(
    http: Any, tree: Path
) -> None:
    await make(http, "corp")
    body = {"path": str(tree / "finance"), "access": ["group:finance"]}
    response = await http.post("/api/v1/collections/corp/sync", json=body, headers=FINANCE)
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    job_id = response.json()["job_id"]
    assert (await http.get(location, headers=FINANCE)).status_code == 200
    assert (await http.get(location, headers=ALL)).status_code == 200
    assert (await http.get(location, headers=HR)).status_code == 404
    assert (await http.post(f"{location}/cancel", headers=HR)).status_code == 404

    def ids(listed: Any) -> list[str]:
        return [j["id"] for j in listed.json()["items"]]

    assert job_id in ids(await http.get("/api/v1/jobs", headers=FINANCE))
    assert job_id not in ids(await http.get("/api/v1/jobs", headers=HR))
