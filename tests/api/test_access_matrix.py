"""Access labels end to end: every route that returns text, every kind of caller, both store
modes (the embedded engine, and server mode against the Qdrant HTTP twin), a live ``ragmono
serve`` with its cache on.

Five documents share the word "quarterly": one public, one per group (finance, hr), one per
tenant (acme, globex). Each caller must find exactly the documents its labels allow, on every
route, also right after a caller with ``access:all`` asked the same question (a warm cache).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET, claims, hs256
from tests.support.live_server import LiveServer
from tests.support.qdrant_twin import QdrantTwin

ADMIN_TOKEN = "admin-token-0123456789abcdefghijklmnopqrs"
PLAIN_TOKEN = "plain-token-0123456789abcdefghijklmnopqrs"
ENV = {
    "RAGMONO_PROFILE": "prod",
    "RAGMONO_AUTH__SERVICE_TOKENS": f"{ADMIN_TOKEN}#access:all,{PLAIN_TOKEN}:search+query",
    "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
    "RAGMONO_AUTH__ISSUER": ISSUER,
    "RAGMONO_AUTH__AUDIENCE": AUDIENCE,
    "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
    "RAGMONO_COMPAT__SEED_API": "true",
}
COLLECTION = "corp"
DOCS: dict[str, tuple[list[str], str]] = {
    "memo": ([], "Quarterly memo: the cafeteria opens at eight and closes at three."),
    "budget": (["group:finance"], "Quarterly budget: the marketing spend is 4.2 million euros."),
    "salaries": (["group:hr"], "Quarterly salaries review: engineers get a raise of 3 percent."),
    "acme": (["tenant:acme"], "Quarterly contract with Acme: the renewal falls on June first."),
    "globex": (["tenant:globex"], "Quarterly contract with Globex: the renewal falls in March."),
}
QUESTIONS = {
    "memo": "When does the cafeteria open?",
    "budget": "What is the marketing spend?",
    "salaries": "What raise do engineers get?",
    "acme": "When is the Acme renewal?",
    "globex": "When is the Globex renewal?",
}


def _jwt(sub: str, **extra: Any) -> dict[str, str]:
    token = hs256(claims(("search", "query", "ingest"), sub=sub, **extra))
    return {"Authorization": f"Bearer {token}"}


CALLERS: dict[str, tuple[dict[str, str], set[str]]] = {
    # access:all first: its answers warm the cache for everyone after it.
    "all": ({"X-Service-Token": ADMIN_TOKEN}, set(DOCS)),
    "none": (_jwt("nobody"), {"memo"}),
    "plain-token": ({"X-Service-Token": PLAIN_TOKEN}, {"memo"}),
    "finance": (_jwt("fay", groups=["finance"]), {"memo", "budget"}),
    "hr": (_jwt("hal", groups=["hr"]), {"memo", "salaries"}),
    "tenant-acme": (_jwt("ann", tenant="acme"), {"memo", "acme"}),
    "tenant-globex": (_jwt("gus", tenant="globex"), {"memo", "globex"}),
}


@pytest.fixture(scope="module", params=["embedded", "server"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server with the five documents ingested by the access:all token."""
    env = dict(ENV)
    twin = None
    if request.param == "server":
        twin = QdrantTwin()
        env |= {"RAGMONO_VECTOR_STORE__MODE": "server", "RAGMONO_VECTOR_STORE__URL": twin.url}
    live = LiveServer(tmp_path_factory.mktemp(f"access-{request.param}"), env).start()
    try:
        admin = {"X-Service-Token": ADMIN_TOKEN}
        made = httpx.post(
            f"{live.url}/api/v1/collections", json={"name": COLLECTION}, headers=admin
        )
        assert made.status_code == 201, made.text
        body = {
            "documents": [
                {"id": doc_id, "text": text, "source": f"{doc_id}.md", "access": labels}
                for doc_id, (labels, text) in DOCS.items()
            ]
        }
        url = f"{live.url}/api/v1/collections/{COLLECTION}/documents"
        ingested = httpx.post(url, json=body, headers=admin, timeout=120)
        assert ingested.status_code == 200, ingested.text
        yield live
    finally:
        live.stop()
        if twin is not None:
            twin.down()


def _ids(hits: list[dict[str, Any]]) -> set[str]:
    return {h["document_id"] for h in hits}


def _sse(text: str, event: str) -> list[Any]:
    found, name = [], None
    for line in text.splitlines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name == event:
            found.append(json.loads(line.split(":", 1)[1]))
    return found


def search_post(http: httpx.Client, query: str, mode: str = "hybrid") -> set[str]:
    body = {"query": query, "collection": COLLECTION, "top_k": 20, "mode": mode}
    response = http.post("/api/v1/search", json=body)
    assert response.status_code == 200, response.text
    return _ids(response.json()["results"])


def search_get(http: httpx.Client, query: str) -> set[str]:
    params = {"q": query, "collection": COLLECTION, "k": 20}
    response = http.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    return _ids(response.json()["results"])


def query_json(http: httpx.Client, query: str) -> set[str]:
    body = {"query": query, "collection": COLLECTION, "top_k": 10}
    response = http.post("/api/v1/query", json=body)
    assert response.status_code == 200, response.text
    return _ids(response.json()["sources"])


def query_sse(http: httpx.Client, query: str) -> set[str]:
    body = {"query": query, "collection": COLLECTION, "top_k": 10, "stream": True}
    response = http.post("/api/v1/query", json=body)
    assert response.status_code == 200, response.text
    (sources,) = _sse(response.text, "sources")
    return _ids(sources["sources"])


def openai_chat(http: httpx.Client, query: str) -> set[str]:
    body = {
        "model": f"rag/{COLLECTION}",
        "messages": [{"role": "user", "content": query}],
        "top_k": 10,
    }
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    return _ids(response.json()["sources"])


def openai_chat_stream(http: httpx.Client, query: str) -> set[str]:
    body = {
        "model": f"rag/{COLLECTION}",
        "messages": [{"role": "user", "content": query}],
        "top_k": 10,
        "stream": True,
    }
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    chunks = [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: {")
    ]
    return _ids(chunks[-1]["sources"])


def seed_search(http: httpx.Client, query: str) -> set[str]:
    params = {"query": query, "collection": COLLECTION, "max_results": 20}
    response = http.get("/api/v1/rag/search", params=params)
    assert response.status_code == 200, response.text
    return {r["metadata"]["document_id"] for r in response.json()["results"]}


def documents_list(http: httpx.Client, query: str) -> set[str]:
    response = http.get(f"/api/v1/collections/{COLLECTION}/documents", params={"limit": 50})
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["items"]}


def documents_get(http: httpx.Client, query: str) -> set[str]:
    found = set()
    for doc_id in DOCS:
        response = http.get(f"/api/v1/collections/{COLLECTION}/documents/{doc_id}")
        assert response.status_code in (200, 404), response.text
        if response.status_code == 200:
            found.add(doc_id)
    return found


ROUTES = {
    "search-hybrid": search_post,
    "search-dense": lambda http, q: search_post(http, q, "dense"),
    "search-keyword": lambda http, q: search_post(http, q, "keyword"),
    "search-get": search_get,
    "query": query_json,
    "query-sse": query_sse,
    "openai-chat": openai_chat,
    "openai-chat-stream": openai_chat_stream,
    "seed-search": seed_search,
    "documents-list": documents_list,
    "documents-get": documents_get,
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_each_caller_finds_exactly_what_its_labels_allow(server: LiveServer, route: str) -> None:
    call = ROUTES[route]
    for attempt in range(2):  # the second round is answered from the cache
        for name, (headers, allowed) in CALLERS.items():
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
                found = call(http, "quarterly")
            assert found == allowed, (route, name, attempt)


@pytest.mark.parametrize("route", ["search-hybrid", "query", "openai-chat"])
def test_a_restricted_fact_is_found_only_by_its_readers(server: LiveServer, route: str) -> None:
    call = ROUTES[route]
    for name, (headers, allowed) in CALLERS.items():
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            for doc_id, question in QUESTIONS.items():
                found = call(http, question)
                assert found <= allowed, (route, name, doc_id)
                assert (doc_id in found) == (doc_id in allowed), (route, name, doc_id)


@asynccontextmanager
async def mcp_session(server: LiveServer, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(f"{server.url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as opened,
    ):
        await opened.initialize()
        yield opened


def _payload(result: Any) -> Any:
    assert not result.isError, result.content
    return json.loads(result.content[0].text)


async def test_mcp_tools_find_exactly_what_the_caller_may_read(server: LiveServer) -> None:
    for name, (headers, allowed) in CALLERS.items():
        async with mcp_session(server, headers) as mcp:
            args = {"query": "quarterly", "collection": COLLECTION, "top_k": 20}
            searched = _payload(await mcp.call_tool("search", args))
            assert _ids(searched["results"]) == allowed, name
            asked = _payload(
                await mcp.call_tool(
                    "ask", {"question": "quarterly", "collection": COLLECTION, "top_k": 10}
                )
            )
            assert _ids(asked["sources"]) == allowed, name
            for doc_id in DOCS:
                args = {"collection": COLLECTION, "document_id": doc_id}
                result = await mcp.call_tool("get_document", args)
                assert result.isError == (doc_id not in allowed), (name, doc_id)
