"""Reindexing a collection with another embedder while it keeps answering (embedded engine).

The app runs for real (embedded Qdrant, the local MiniLM embedder as the default); the second
embedder is the Ollama double, whose vectors are hashed bags of words of ``DIMS`` floats, so a
dense score after the switch can be computed here exactly and differs from MiniLM's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SettingsFactory, app_client
from tests.support.ollama_server import OllamaDouble, hashed_embedding
from tests.support.waiting import eventually

COLLECTIONS = "/api/v1/collections"
DOCS = f"{COLLECTIONS}/docs/documents"
SEARCH = "/api/v1/search"
MODEL = "hash-embed"
DIMS = 64
TOPICS = [
    "espresso machines need descaling every month",
    "the fire alarm is tested on mondays",
    "parking permits are renewed in january",
    "the library closes at nine in the evening",
    "bicycles must be locked in the courtyard",
    "printer toner is stored in the supply room",
    "holiday requests go to the team lead",
    "the roof garden opens in spring",
]
QUERY = "when is the fire alarm tested"


@pytest.fixture
def double(ollama_server: OllamaDouble) -> OllamaDouble:
    """The Ollama double serving ``hash-embed`` (``DIMS`` floats), slow enough to watch."""
    ollama_server.models[MODEL] = "embed"
    ollama_server.embed_dims = DIMS
    return ollama_server


@pytest.fixture
def reindex_settings(make_settings: SettingsFactory, double: OllamaDouble) -> Any:
    return make_settings(
        ollama__url=double.url,
        ollama__timeout_s="5",
        reindex__batch_chunks="2",
        rate_limit__enabled="false",
        cache__ttl_s="0",  # every search during the reindex reaches the store
    )


def documents(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"doc-{i}", "text": f"{TOPICS[i % len(TOPICS)]} (note {i})"} for i in range(count)
    ]


async def seeded(http: Any, count: int = 24) -> None:
    assert (await http.post(COLLECTIONS, json={"name": "docs"})).status_code == 201
    response = await http.post(DOCS, json={"documents": documents(count)})
    assert response.status_code == 200, response.text


async def search(http: Any, query: str = QUERY, mode: str = "dense") -> dict[str, Any]:
    response = await http.post(
        SEARCH, json={"collection": "docs", "query": query, "mode": mode, "top_k": 3}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def job_of(http: Any, location: str) -> dict[str, Any]:
    body: dict[str, Any] = (await http.get(location)).json()
    return body


async def finished(http: Any, location: str, timeout_s: float = 30.0) -> dict[str, Any]:
    async def done() -> bool:
        return (await job_of(http, location))["state"] in ("succeeded", "failed", "cancelled")

    assert await eventually(done, timeout_s=timeout_s, every_s=0.05)
    return await job_of(http, location)


def hashed_score(query: str, text: str) -> float:
    q, t = hashed_embedding(query, DIMS), hashed_embedding(text, DIMS)
    return sum(a * b for a, b in zip(q, t, strict=True))


async def test_searches_answer_throughout_and_use_the_new_embedder_after_the_switch(
    reindex_settings: Any, double: OllamaDouble
) -> None:
    async with app_client(reindex_settings) as http:
        await seeded(http)
        before = await search(http)
        assert "fire alarm" in before["results"][0]["text"]
        double.latency_s = 0.05  # each batch of 2 chunks takes a while: ~0.6 s in all

        started = await http.post(
            f"{COLLECTIONS}/docs/reindex", json={"embedder": f"ollama/{MODEL}"}
        )
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        assert location == started.json()["location"] == f"/api/v1/jobs/{started.json()['job_id']}"

        again = await http.post(f"{COLLECTIONS}/docs/reindex", json={"embedder": f"ollama/{MODEL}"})
        assert again.status_code == 409  # one reindex per collection at a time

        # A document written while the new collection is being built.
        assert (await job_of(http, location))["state"] in ("queued", "running")
        late = {"id": "late", "text": "the aquarium fish are fed at noon"}
        assert (await http.post(DOCS, json={"documents": [late]})).status_code == 200

        answered, progress_seen = 0, set()
        while (job := await job_of(http, location))["state"] in ("queued", "running"):
            for mode in ("dense", "hybrid", "keyword"):
                body = await search(http, mode=mode)
                assert body["results"], f"{mode} search found nothing during the reindex"
                assert body["degraded"] is False
                answered += 1
            progress_seen.add(job["progress"]["chunks_done"])
        assert job["state"] == "succeeded", job
        assert job["kind"] == "reindex"
        assert answered >= 6  # the reindex took long enough to be searched during it
        assert len(progress_seen) > 1  # progress moved while it ran
        assert job["progress"]["chunks_done"] == job["progress"]["chunks_total"] >= 24

        described = (await http.get(f"{COLLECTIONS}/docs")).json()
        assert described["embedder"] == {"provider": "ollama", "model": MODEL, "dimensions": DIMS}
        assert described["storage"].startswith("docs.")
        assert described["stats"]["points"] == 25  # 24 chunks copied + the late document
        [kept] = described["retained"]
        assert kept["storage"] == "docs"
        assert kept["embedder"]["provider"] == "local"
        assert kept["delete_after"] - kept["retired_at"] == pytest.approx(24 * 3600)

        embeds_before = double.calls["/api/embed"]
        after = await search(http)
        assert double.calls["/api/embed"] == embeds_before + 1  # the query, by the new embedder
        assert double.last_request["input"] == [QUERY]
        top = after["results"][0]
        assert "fire alarm" in top["text"]
        assert top["score"] == pytest.approx(hashed_score(QUERY, top["text"]), abs=1e-4)
        assert top["score"] != pytest.approx(before["results"][0]["score"], abs=1e-3)

        found = await search(http, "when are the aquarium fish fed")
        assert found["results"][0]["document_id"] == "late"
        expected = hashed_score("when are the aquarium fish fed", late["text"])
        assert found["results"][0]["score"] == pytest.approx(expected, abs=1e-4)

        # Written after the switch: embedded by the new embedder, found by it.
        newer = {"id": "newer", "text": "the plants are watered on fridays"}
        assert (await http.post(DOCS, json={"documents": [newer]})).status_code == 200
        hit = (await search(http, "plants watered fridays"))["results"][0]
        assert hit["document_id"] == "newer"
        assert hit["score"] == pytest.approx(
            hashed_score("plants watered fridays", newer["text"]), abs=1e-4
        )


async def test_a_reindex_that_fails_midway_leaves_the_live_collection_as_it_was(
    reindex_settings: Any, double: OllamaDouble, data_dir: Path
) -> None:
    async with app_client(reindex_settings) as http:
        await seeded(http)
        before = await search(http)
        double.latency_s = 0.05
        started = await http.post(
            f"{COLLECTIONS}/docs/reindex", json={"embedder": f"ollama/{MODEL}"}
        )
        assert started.status_code == 202
        location = started.headers["location"]

        async def under_way() -> bool:
            return (await job_of(http, location))["progress"]["chunks_done"] > 0

        assert await eventually(under_way, timeout_s=10)
        double.stop()  # the new embedder dies mid-build
        job = await finished(http, location)
        assert job["state"] == "failed"
        assert "nothing changed" in job["detail"]

        described = (await http.get(f"{COLLECTIONS}/docs")).json()
        assert described["embedder"]["provider"] == "local"
        assert described["storage"] == "docs"
        assert described["retained"] == []
        assert described["stats"]["points"] == 24
        after = await search(http)
        assert [r["id"] for r in after["results"]] == [r["id"] for r in before["results"]]
        shards = sorted(p.name for p in (data_dir / "vectors" / "collections").iterdir())
        assert shards == ["docs"]  # the half-built collection is gone


async def test_bad_reindex_requests_get_problems_naming_what_is_wrong(
    reindex_settings: Any, double: OllamaDouble
) -> None:
    async with app_client(reindex_settings) as http:
        await seeded(http, count=2)
        url = f"{COLLECTIONS}/docs/reindex"
        missing = await http.post(f"{COLLECTIONS}/nope/reindex", json={"embedder": "local/x"})
        assert missing.status_code == 404
        for embedder in ("nope/model", "ollama/not-pulled", "local/other-model"):
            response = await http.post(url, json={"embedder": embedder})
            assert response.status_code == 422, (embedder, response.text)
            assert response.json()["field"] == "body.embedder"
        malformed = await http.post(url, json={"embedder": "no-slash"})
        assert malformed.status_code in (400, 422)
        assert "embedder" in malformed.text
        unknown_field = await http.post(url, json={"embedder": "local/x", "extra": 1})
        assert unknown_field.status_code in (400, 422)
        nothing = await http.delete(f"{COLLECTIONS}/docs/retained/docs.abc")
        assert nothing.status_code == 404
        assert (await http.get(f"{COLLECTIONS}/docs")).json()["embedder"]["provider"] == "local"


async def test_the_old_collection_is_dropped_on_delete_or_when_its_retention_ends(
    make_settings: SettingsFactory, double: OllamaDouble, data_dir: Path
) -> None:
    shards = data_dir / "vectors" / "collections"
    settings = make_settings(ollama__url=double.url)
    async with app_client(settings) as http:
        await seeded(http, count=4)
        assert (await search(http))["results"]  # cached (the default cache is on)
        started = await http.post(
            f"{COLLECTIONS}/docs/reindex", json={"embedder": f"ollama/{MODEL}"}
        )
        assert (await finished(http, started.headers["location"]))["state"] == "succeeded"
        storage = (await http.get(f"{COLLECTIONS}/docs")).json()["storage"]
        top = (await search(http))["results"][0]  # not the answer cached before the switch
        assert top["score"] == pytest.approx(hashed_score(QUERY, top["text"]), abs=1e-4)
        assert sorted(p.name for p in shards.iterdir()) == sorted(["docs", storage])

        dropped = await http.delete(f"{COLLECTIONS}/docs/retained/docs")
        assert dropped.status_code == 204
        assert (await http.get(f"{COLLECTIONS}/docs")).json()["retained"] == []
        assert [p.name for p in shards.iterdir()] == [storage]
        assert (await search(http))["results"]

        # Back to the local embedder, with no retention: the old one goes at once.
    settings = make_settings(ollama__url=double.url, reindex__keep_old_hours="0")
    async with app_client(settings) as http:
        started = await http.post(
            f"{COLLECTIONS}/docs/reindex", json={"embedder": "local/all-MiniLM-L6-v2"}
        )
        assert (await finished(http, started.headers["location"]))["state"] == "succeeded"
        described = (await http.get(f"{COLLECTIONS}/docs")).json()
        assert described["embedder"]["provider"] == "local"
        assert described["retained"] == []
        assert [p.name for p in shards.iterdir()] == [described["storage"]]
        assert "fire alarm" in (await search(http))["results"][0]["text"]
        assert (await http.delete(f"{COLLECTIONS}/docs")).status_code == 204
        assert list(shards.iterdir()) == []


async def test_a_cancelled_reindex_drops_what_it_built(
    reindex_settings: Any, double: OllamaDouble, data_dir: Path
) -> None:
    async with app_client(reindex_settings) as http:
        await seeded(http)
        double.latency_s = 0.05
        started = await http.post(
            f"{COLLECTIONS}/docs/reindex", json={"embedder": f"ollama/{MODEL}"}
        )
        location = started.headers["location"]

        async def under_way() -> bool:
            return (await job_of(http, location))["progress"]["chunks_done"] > 0

        assert await eventually(under_way, timeout_s=10)
        assert (await http.post(f"{location}/cancel")).status_code == 202
        job = await finished(http, location)
        assert job["state"] == "cancelled"
        described = (await http.get(f"{COLLECTIONS}/docs")).json()
        assert (described["embedder"]["provider"], described["retained"]) == ("local", [])
        assert [p.name for p in (data_dir / "vectors" / "collections").iterdir()] == ["docs"]
