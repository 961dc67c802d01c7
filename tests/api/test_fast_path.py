"""Cache hits served before the framework parses: same bytes, same headers, one lookup."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.lifespan import Adapters
from ragmono.settings import Settings
from tests.conftest import app_client
from tests.support.embedders import MemoEmbedder

BODY = {"collection": "handbook", "query": "When is the fridge emptied?", "top_k": 3}


@pytest.fixture
async def api(
    settings: Settings, handbook_store: EmbeddedVectorStore, cached_embedder: MemoEmbedder
) -> AsyncIterator[Any]:
    adapters = Adapters(
        vector_store=handbook_store, embedder=cached_embedder, sparse_encoder=Bm25Encoder()
    )
    async with app_client(settings, adapters) as http:
        yield http


def without_timings(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "timings"}


async def test_a_hit_is_the_stored_result_with_fresh_timings(api: Any) -> None:
    miss = await api.post("/api/v1/search", json=BODY)
    fast = await api.post("/api/v1/search", json=BODY)
    # GET takes the framework path; same parameters, same key.
    framework = await api.get(
        "/api/v1/search", params={"q": BODY["query"], "collection": "handbook", "k": 3}
    )
    assert [r.json()["cached"] for r in (miss, fast, framework)] == [False, True, True]
    assert without_timings(fast.json()) == without_timings(framework.json())
    assert without_timings(fast.json()) == {**without_timings(miss.json()), "cached": True}
    timings = fast.json()["timings"]
    assert timings["embed_ms"] == timings["search_ms"] == 0.0
    assert 0 < timings["total_ms"] < miss.json()["timings"]["total_ms"]
    assert fast.headers["content-type"] == "application/json"
    assert fast.headers["x-request-id"]
    assert fast.headers["content-length"] == str(len(fast.content))


async def test_answers_take_the_fast_path_too_but_streams_do_not(api: Any) -> None:
    first = (await api.post("/api/v1/query", json=BODY)).json()
    again = (await api.post("/api/v1/query", json=BODY)).json()
    streamed = await api.post("/api/v1/query", json={**BODY, "stream": True})
    assert again["cached"] is True
    assert without_timings(again) == {**without_timings(first), "cached": True}
    assert streamed.headers["content-type"].startswith("text/event-stream")
    assert '"cached":true' in streamed.text


async def test_a_miss_asks_the_cache_once_and_bad_input_still_gets_its_problem(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await api.post("/api/v1/search", json=BODY)
    stats = (await api.get("/api/v1/admin/cache")).json()
    assert (stats["hits"], stats["misses"]) == (0, 1)  # not one miss per path
    bad = await api.post("/api/v1/search", json={**BODY, "top_k": 0})
    assert bad.status_code == 422
    assert bad.json()["field"] == "body.top_k"
    missing = await api.post("/api/v1/query", json={**BODY, "collection": "nope"})
    assert missing.status_code == 404
    await api.post("/api/v1/search", json=BODY)
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("event") == "request" and x["path"] == "/api/v1/search"]
    assert [x["status"] for x in access] == [200, 422, 200]  # hits are logged like any request
