"""One behaviour for every VectorStore adapter: the app cannot tell the modes apart.

Each test runs against the embedded engine, the in-memory twin, server mode on
``AsyncQdrantClient(":memory:")``, server mode over HTTP to a Qdrant twin node, cluster mode
over three twin nodes and, when ``RAGMONO_TEST_QDRANT_URLS`` is set, a real Qdrant cluster.
"""

from __future__ import annotations

import pytest

from ragmono.domain import AnyOf, Filter, Match, Range, VectorQuery, Visible
from ragmono.errors import Conflict, NotFound
from ragmono.ports import VectorStore
from tests.support.vector_data import TEXTS, point_id, points, query_vectors, spec
from tests.support.vector_stores import STORE_KINDS, Named, open_store

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    async with open_store(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture
async def docs(store: Named) -> str:
    """A collection holding the three sample documents."""
    name = store.name("docs")
    await store.store.create_collection(spec(name))
    await store.store.upsert(name, await points())
    return name


async def test_collection_lifecycle(store: Named) -> None:
    vs: VectorStore = store.store
    first, second = store.name("beta"), store.name("alpha")
    await vs.create_collection(spec(first, description="b"))
    await vs.create_collection(spec(second))
    with pytest.raises(Conflict):
        await vs.create_collection(spec(first))
    listed = [s.name for s in await vs.list_collections() if s.name in (first, second)]
    assert listed == sorted([first, second])
    got = await vs.get_collection(first)
    assert got is not None
    assert got.description == "b"
    assert got.embedder.dimensions == 64

    await vs.update_collection(spec(first, description="changed", version=3))
    updated = await vs.get_collection(first)
    assert updated is not None
    assert (updated.description, updated.version) == ("changed", 3)
    with pytest.raises(NotFound):
        await vs.update_collection(spec(store.name("missing")))

    await vs.delete_collection(first)
    assert await vs.get_collection(first) is None
    with pytest.raises(NotFound):
        await vs.delete_collection(first)
    assert await vs.get_collection(second) is not None


async def test_point_calls_on_a_missing_collection_are_not_found(store: Named) -> None:
    missing = store.name("missing")
    dense, _ = await query_vectors("anything")
    with pytest.raises(NotFound):
        await store.store.count(missing)
    with pytest.raises(NotFound):
        await store.store.search(missing, VectorQuery(mode="dense", limit=3, dense=dense))
    with pytest.raises(NotFound):
        await store.store.upsert(missing, await points())
    with pytest.raises(NotFound):
        await store.store.scroll(missing, None, limit=10)


async def test_dense_keyword_and_hybrid_search(store: Named, docs: str) -> None:
    dense, _ = await query_vectors("lighthouse keeper spiral stairs disk")
    hits = await store.store.search(docs, VectorQuery(mode="dense", limit=3, dense=dense))
    assert hits[0].chunk.document_id == "a"
    assert hits[0].id == point_id("a")
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    _, sparse = await query_vectors("ZX-4471")
    keyword = await store.store.search(docs, VectorQuery(mode="keyword", limit=3, sparse=sparse))
    assert [h.chunk.document_id for h in keyword] == ["c"]
    assert keyword[0].chunk.text == TEXTS["c"]

    hybrid = await store.store.search(
        docs, VectorQuery(mode="hybrid", limit=3, dense=dense, sparse=sparse)
    )
    # DBSF: each list scaled by its mean +- 3 sd, then summed. "c" is the only keyword hit and
    # second by meaning, so it leads; every mode fuses to the same scores.
    assert [h.chunk.document_id for h in hits[:2]] == ["a", "c"]
    assert [h.chunk.document_id for h in hybrid[:2]] == ["c", "a"]
    expected = _dbsf([{h.id: h.score for h in hits}, {h.id: h.score for h in keyword}])
    for hit in hybrid:
        assert hit.score == pytest.approx(expected[hit.id], abs=1e-4), hit.chunk.document_id

    rrf = await store.store.search(
        docs, VectorQuery(mode="hybrid", limit=3, dense=dense, sparse=sparse, fusion="rrf")
    )
    # RRF with k=60 and 0-based ranks: "c" is first by keyword and second by dense meaning.
    assert [h.chunk.document_id for h in rrf[:2]] == ["c", "a"]
    assert rrf[0].score == pytest.approx(1 / 60 + 1 / 61, rel=1e-4)
    assert rrf[1].score == pytest.approx(1 / 60, rel=1e-4)


def _dbsf(lists: list[dict[str, float]]) -> dict[str, float]:
    """Distribution-based score fusion as Qdrant documents it (sample standard deviation)."""
    fused: dict[str, float] = {}
    for scores in lists:
        values = list(scores.values())
        mean = sum(values) / len(values)
        sd = (sum((v - mean) ** 2 for v in values) / max(1, len(values) - 1)) ** 0.5
        low, high = mean - 3 * sd, mean + 3 * sd
        for point, value in scores.items():
            scaled = (value - low) / (high - low) if high > low else 0.5
            fused[point] = fused.get(point, 0.0) + scaled
    return fused


async def test_filters_restrict_search_and_count(store: Named, docs: str) -> None:
    dense, sparse = await query_vectors("lighthouse spiral stairs")
    only_b = Filter(must=[Match(key="source", value="b.md")])
    for mode in ("dense", "hybrid"):
        hits = await store.store.search(
            docs, VectorQuery(mode=mode, limit=3, dense=dense, sparse=sparse, filter=only_b)
        )
        assert {h.chunk.document_id for h in hits} <= {"b"}
    ranged = Filter(
        must=[Range(key="metadata.year", gte=2021), AnyOf(key="document_id", values=["a", "c"])]
    )
    assert await store.store.count(docs, ranged) == 1
    assert await store.store.count(docs, Filter(must=[Range(key="metadata.year", lt=2021)])) == 1
    assert await store.store.count(docs) == 3


async def test_access_labels_filter_every_mode_and_change_in_place(store: Named, docs: str) -> None:
    vs = store.store
    by_doc = {d: Filter(must=[Match(key="document_id", value=d)]) for d in ("a", "b")}
    await vs.set_payload(docs, by_doc["a"], {"access": ["group:x", "user:u"]})
    await vs.set_payload(docs, by_doc["b"], {"access": ["group:y"]})  # "c" has none
    dense, sparse = await query_vectors("lighthouse spiral stairs")

    async def visible(labels: list[str], unlabelled: bool) -> set[str]:
        flt = Filter(must=[Visible(key="access", labels=labels, unlabelled=unlabelled)])
        found: set[str] = set()
        for mode in ("dense", "hybrid"):
            hits = await vs.search(
                docs, VectorQuery(mode=mode, limit=10, dense=dense, sparse=sparse, filter=flt)
            )
            found |= {h.chunk.document_id for h in hits}
        page, _ = await vs.scroll(docs, flt, 10)
        assert {p.chunk.document_id for p in page} >= found
        assert await vs.count(docs, flt) == len({p.chunk.document_id for p in page})
        return {p.chunk.document_id for p in page}

    assert await visible(["group:x"], unlabelled=True) == {"a", "c"}
    assert await visible(["group:y", "user:u"], unlabelled=False) == {"a", "b"}
    assert await visible(["public"], unlabelled=False) == set()
    # Relabelling keeps the text, the other payload keys and the vectors.
    await vs.set_payload(docs, by_doc["a"], {"access": []})
    assert await visible(["group:x"], unlabelled=False) == set()
    assert await visible(["group:z"], unlabelled=True) == {"a", "c"}
    page, _ = await vs.scroll(docs, by_doc["a"], 10)
    assert (page[0].chunk.access, page[0].chunk.metadata) == ([], {"year": 2020})
    hits = await vs.search(docs, VectorQuery(mode="dense", limit=1, dense=dense))
    assert hits[0].chunk.document_id == "a"


async def test_score_threshold_drops_weak_hits(store: Named, docs: str) -> None:
    dense, _ = await query_vectors("lighthouse spiral stairs")
    hits = await store.store.search(
        docs, VectorQuery(mode="dense", limit=3, dense=dense, score_threshold=0.3)
    )
    assert [h.chunk.document_id for h in hits] == ["a"]


async def test_reupsert_replaces_by_id(store: Named, docs: str) -> None:
    changed = await points({"a": "A new text about lighthouses.", "b": TEXTS["b"]})
    await store.store.upsert(docs, changed)
    assert await store.store.count(docs) == 3
    page, _ = await store.store.scroll(docs, Filter(must=[Match(key="document_id", value="a")]), 10)
    assert [p.chunk.text for p in page] == ["A new text about lighthouses."]


async def test_scroll_visits_every_point_once(store: Named) -> None:
    name = store.name("many")
    await store.store.create_collection(spec(name))
    texts = {f"doc{i}": f"document number {i} about topic {i % 3}" for i in range(7)}
    await store.store.upsert(name, await points(texts))
    seen: list[str] = []
    sizes: list[int] = []
    offset: str | None = None
    while True:
        page, offset = await store.store.scroll(name, None, limit=3, offset=offset)
        sizes.append(len(page))
        seen.extend(p.id for p in page)
        if offset is None:
            break
    assert sizes == [3, 3, 1]
    assert sorted(seen) == sorted(point_id(d) for d in texts)


async def test_delete_by_filter_and_by_id(store: Named, docs: str) -> None:
    await store.store.delete(docs, Filter(must=[Match(key="document_id", value="a")]))
    assert await store.store.count(docs) == 2
    await store.store.delete_points(docs, [point_id("b"), point_id("never-stored")])
    assert await store.store.count(docs) == 1
    page, nxt = await store.store.scroll(docs, None, limit=10)
    assert [p.chunk.document_id for p in page] == ["c"]
    assert nxt is None


async def test_stats_and_health(store: Named, docs: str) -> None:
    stats = await store.store.stats(docs)
    assert stats.points == 3
    await store.store.optimize(docs)
    health = await store.store.health()
    assert health.name == "qdrant"
    assert health.reachable is True
    assert health.mode == store.store.mode
