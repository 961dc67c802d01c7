"""/api/v1/search over HTTP: the real local embedder, BM25 and the embedded engine."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.domain import CollectionSpec, EmbedderRef
from ragmono.lifespan import Adapters
from ragmono.settings import Settings
from tests.conftest import app_client
from tests.support.embedders import MemoEmbedder, UnavailableEmbedder

SEARCH = "/api/v1/search"


@pytest.fixture
async def api(
    settings: Settings, handbook_store: EmbeddedVectorStore, cached_embedder: MemoEmbedder
) -> AsyncIterator[Any]:
    """The app over HTTP on the seeded store with the real local embedder."""
    adapters = Adapters(
        vector_store=handbook_store, embedder=cached_embedder, sparse_encoder=Bm25Encoder()
    )
    async with app_client(settings, adapters) as http:
        yield http


async def search(api: Any, **body: Any) -> dict[str, Any]:
    response = await api.post(SEARCH, json={"collection": "handbook", **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def doc_ids(result: dict[str, Any]) -> list[str]:
    return [hit["document_id"] for hit in result["results"]]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how much time off do staff get each year", "leave"),
        ("I lost my sign-in secret, how can I regain entry to my account", "password"),
        ("what is the daily allowance for food on business trips", "expenses"),
        ("I misplaced my building badge, who replaces it", "access"),
        ("when is the coffee maker cleaned", "kitchen"),
    ],
)
async def test_paraphrased_questions_find_the_right_document(
    api: Any, question: str, expected: str
) -> None:
    dense = await search(api, query=question, mode="dense", top_k=3)
    assert doc_ids(dense)[0] == expected
    hybrid = await search(api, query=question, top_k=3)
    assert hybrid["mode"] == "hybrid"
    assert expected in doc_ids(hybrid)[:2]  # a stray shared keyword may tie it for first


async def test_keyword_mode_finds_an_exact_identifier_dense_misses(api: Any) -> None:
    dense = await search(api, query="ZX-4471-B", mode="dense", top_k=3)
    keyword = await search(api, query="ZX-4471-B", mode="keyword", top_k=3)
    hybrid = await search(api, query="ZX-4471-B", mode="hybrid", top_k=3)
    assert doc_ids(dense)[0] != "shipping"  # look-alike product pages win on meaning
    assert doc_ids(keyword)[0] == "shipping"
    assert keyword["results"][0]["score"] > keyword["results"][1]["score"]
    assert "shipping" in doc_ids(hybrid)[:2]  # fusion lifts what only keywords found


async def test_results_carry_the_chunk_and_how_it_was_found(api: Any) -> None:
    result = await search(api, query="reimbursement for meals", top_k=2)
    hit = result["results"][0]
    assert hit["document_id"] == "expenses"
    assert hit["source"] == "finance/expenses.md"
    assert hit["chunk_index"] == 0
    assert "60 euros per day" in hit["text"]
    assert hit["metadata"]["team"] == "finance"
    assert set(hit) == {"id", "score", "text", "source", "document_id", "chunk_index", "metadata"}
    assert result["mode"] == "hybrid"
    assert result["degraded"] is False
    assert result["degraded_reason"] is None
    assert result["timings"]["embed_ms"] > 0
    assert result["timings"]["search_ms"] > 0
    assert len(result["results"]) == 2


async def test_get_search_with_query_string(api: Any) -> None:
    response = await api.get(
        SEARCH, params={"q": "ZX-4471-B", "collection": "handbook", "k": 1, "mode": "keyword"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [h["document_id"] for h in body["results"]] == ["shipping"]
    assert body["mode"] == "keyword"
    bad = await api.get(SEARCH, params={"q": "x", "collection": "handbook", "k": 0})
    assert bad.status_code == 400
    assert bad.json()["field"] == "query.k"


async def test_top_k_and_score_threshold(api: Any) -> None:
    assert len((await search(api, query="employees", mode="dense", top_k=7))["results"]) == 7
    strict = await search(api, query="paid annual leave", mode="dense", score_threshold=0.4)
    assert doc_ids(strict) == ["leave"]
    assert all(h["score"] >= 0.4 for h in strict["results"])


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"must": [{"key": "source", "match": "handbook/remote.md"}]}, {"remote"}),
        ({"must": [{"key": "document_id", "any": ["kitchen", "access"]}]}, {"kitchen", "access"}),
        ({"must": [{"key": "metadata.team", "match": "engineering"}]}, {"zx-family", "zx-codes"}),
        (
            {"must": [{"key": "metadata.year", "range": {"gte": 2024, "lt": 2025}}]},
            {"leave", "kitchen", "remote"},
        ),
        (
            {"must": [{"key": "metadata.published", "range": {"gte": "2024-04-01T00:00:00Z"}}]},
            {"kitchen", "remote", "shipping"},
        ),
        (
            {
                "must": [
                    {"key": "metadata.team", "match": "hr"},
                    {"key": "metadata.published", "range": {"lt": "2024-02-01"}},
                ]
            },
            {"leave"},
        ),
    ],
)
async def test_filters_restrict_every_mode(
    api: Any, flt: dict[str, Any], expected: set[str]
) -> None:
    for mode in ("dense", "hybrid"):
        result = await search(api, query="rules for employees", top_k=20, filter=flt, mode=mode)
        assert set(doc_ids(result)) == expected, mode


async def test_chunk_index_filter_picks_one_chunk(api: Any) -> None:
    everything = await search(api, query="record class", mode="keyword", top_k=100)
    chunks = sorted(
        h["chunk_index"] for h in everything["results"] if h["document_id"] == "retention"
    )
    assert len(chunks) >= 3  # the long document was split
    flt = {
        "must": [
            {"key": "document_id", "match": "retention"},
            {"key": "chunk_index", "match": 1},
        ]
    }
    result = await search(api, query="record class", mode="keyword", filter=flt)
    assert [(h["document_id"], h["chunk_index"]) for h in result["results"]] == [("retention", 1)]
    ranged = {"must": [{"key": "chunk_index", "range": {"gte": 1}}]}
    later = await search(api, query="record class", mode="keyword", filter=ranged, top_k=100)
    assert {h["chunk_index"] for h in later["results"]} == set(chunks) - {0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filter": {"must": [{"key": "source", "regex": "a.*"}]}}, "body.filter.must[0].regex"),
        ({"filter": {"must": [{"key": "owner", "match": "x"}]}}, "body.filter.must[0].key"),
        ({"filter": {"must": [{"key": "source"}]}}, "body.filter.must[0]"),
        (
            {"filter": {"must": [{"key": "source", "match": "a", "any": ["b"]}]}},
            "body.filter.must[0]",
        ),
        ({"filter": {"must": [{"key": "metadata.y", "range": {}}]}}, "body.filter.must[0].range"),
        (
            {"filter": {"must": [{"key": "metadata.y", "range": {"gte": "last week"}}]}},
            "body.filter.must[0].range.gte",
        ),
        (
            {"filter": {"must": [{"key": "metadata.y", "range": {"near": 3}}]}},
            "body.filter.must[0].range.near",
        ),
        ({"filter": {"must": [{"key": "source", "range": {"gte": 1}}]}}, "body.filter.must[0]"),
        ({"filter": {"must": [{"key": "metadata.y", "any": [1, "a"]}]}}, "body.filter.must[0].any"),
        ({"filter": {"must": [{"key": "chunk_index", "match": "one"}]}}, "body.filter.must[0]"),
        ({"filter": {"should": []}}, "body.filter.should"),
        ({"top_k": 0}, "body.top_k"),
        ({"top_k": 101}, "body.top_k"),
        ({"mode": "semantic"}, "body.mode"),
        ({"query": ""}, "body.query"),
        ({"query": "   "}, "body.query"),
        ({"collection": "Not A Name"}, "body.collection"),
        ({"limit": 3}, "body.limit"),
    ],
)
async def test_bad_requests_are_422_naming_the_field(
    twin_api: Any, body: dict[str, Any], field: str
) -> None:
    response = await twin_api.post(
        SEARCH, json={"query": "leave", "collection": "handbook", **body}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"].startswith(field)


async def test_unknown_collection_is_404(api: Any) -> None:
    response = await api.post(SEARCH, json={"query": "leave", "collection": "nope"})
    assert response.status_code == 404
    assert response.json()["field"] == "collection"


async def test_a_collection_whose_embedder_is_not_here_is_409_for_dense_but_keyword_works(
    api: Any, handbook_store: EmbeddedVectorStore
) -> None:
    other = EmbedderRef(provider="ollama", model="nomic-embed-text", dimensions=768)
    await handbook_store.create_collection(CollectionSpec(name="nomic", embedder=other))
    for mode in ("dense", "hybrid"):
        response = await api.post(SEARCH, json={"query": "x", "collection": "nomic", "mode": mode})
        assert response.status_code == 409
        detail = response.json()["detail"]
        assert "ollama/nomic-embed-text is not available here" in detail
    keyword = await api.post(SEARCH, json={"query": "x", "collection": "nomic", "mode": "keyword"})
    assert keyword.status_code == 200
    assert keyword.json()["results"] == []


async def test_stop_word_keyword_query_is_an_empty_list(api: Any) -> None:
    result = await search(api, query="the and of", mode="keyword")
    assert result["results"] == []
    assert result["mode"] == "keyword"
    hybrid = await search(api, query="the and of", mode="hybrid", top_k=2)
    assert hybrid["mode"] == "dense"  # nothing for keywords to match: dense alone ran
    assert len(hybrid["results"]) == 2


async def test_embedder_down_degrades_to_keyword_with_a_warning(
    settings: Settings, handbook_store: EmbeddedVectorStore, capsys: pytest.CaptureFixture[str]
) -> None:
    down = UnavailableEmbedder(handbook_store.catalog.get("handbook").embedder)  # type: ignore[union-attr]
    adapters = Adapters(vector_store=handbook_store, embedder=down, sparse_encoder=Bm25Encoder())
    async with app_client(settings, adapters) as api:
        first = await api.post(SEARCH, json={"query": "ZX-4471-B", "collection": "handbook"})
        second = await api.post(
            SEARCH, json={"query": "paid annual leave", "collection": "handbook", "mode": "dense"}
        )
        only_stop_words = await api.post(SEARCH, json={"query": "the", "collection": "handbook"})
    assert first.status_code == 200
    body = first.json()
    assert body["mode"] == "keyword"
    assert body["degraded"] is True
    assert body["degraded_reason"] == "embedder_unavailable"
    assert body["results"][0]["document_id"] == "shipping"
    assert first.headers["warning"] == '199 ragmono "degraded: embedder_unavailable"'
    assert second.json()["results"][0]["document_id"] == "leave"
    assert only_stop_words.status_code == 200
    assert only_stop_words.json()["results"] == []
    assert only_stop_words.json()["degraded"] is True
    assert down.calls == 3
    lines = capsys.readouterr().err.splitlines()
    events = [json.loads(line)["event"] for line in lines if line.startswith("{")]
    assert events.count("search_degraded_to_keyword") == 1  # once per outage, not per request
