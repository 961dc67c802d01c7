"""Synchronous qdrant-edge calls on one shard, in domain types. Runs only in the engine worker.

One shard directory per collection; each point has a ``dense`` and a ``keyword`` vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import qdrant_edge as qe

from ragmono.domain import (
    AnyOf,
    Chunk,
    ChunkPoint,
    CollectionSpec,
    CollectionStats,
    Filter,
    Match,
    ScoredChunk,
    VectorQuery,
    Visible,
)
from ragmono.ports import StoredChunk

DENSE = "dense"
KEYWORD = "keyword"
VECTORS_PER_POINT = 2
INDEXED_FIELDS = ("document_id", "source", "content_hash", "access")
_DISTANCES = {"cosine": qe.Distance.Cosine, "dot": qe.Distance.Dot, "euclid": qe.Distance.Euclid}


def create_shard(
    path: Path, spec: CollectionSpec, indexing_threshold_kb: int | None
) -> qe.EdgeShard:
    """A new shard with dense + keyword (IDF) vectors and keyword payload indexes."""
    optimizers = (
        qe.EdgeOptimizersConfig(indexing_threshold=indexing_threshold_kb)
        if indexing_threshold_kb is not None
        else None
    )
    config = qe.EdgeConfig(
        vectors={
            DENSE: qe.EdgeVectorParams(
                size=spec.embedder.dimensions, distance=_DISTANCES[spec.distance]
            )
        },
        sparse_vectors={KEYWORD: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        optimizers=optimizers,
    )
    shard = qe.EdgeShard.create(str(path), config)
    try:
        for field in INDEXED_FIELDS:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
    except BaseException:
        shard.close()
        raise
    return shard


def ensure_payload_indexes(shard: qe.EdgeShard) -> None:
    """Create whichever of the keyword payload indexes the shard lacks."""
    present = set(shard.info().payload_schema)
    for field in INDEXED_FIELDS:
        if field not in present:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))


def upsert(shard: qe.EdgeShard, points: Sequence[ChunkPoint]) -> None:
    """Insert or replace points (every named vector is sent, so none is dropped)."""
    edge_points = [
        qe.Point(
            p.id,
            {DENSE: p.dense, KEYWORD: qe.SparseVector(p.sparse.indices, p.sparse.values)},
            msgspec.to_builtins(p.chunk),
        )
        for p in points
    ]
    shard.update(qe.UpdateOperation.upsert_points(edge_points))


def delete(shard: qe.EdgeShard, flt: Filter) -> None:
    """Delete every point matching ``flt``."""
    shard.update(qe.UpdateOperation.delete_points_by_filter(to_edge_filter(flt)))


def set_payload(shard: qe.EdgeShard, flt: Filter, payload: dict[str, Any]) -> None:
    """Set ``payload``'s keys on every point matching ``flt`` (vectors and other keys stay)."""
    shard.update(qe.UpdateOperation.set_payload_by_filter(to_edge_filter(flt), payload))


def delete_points(shard: qe.EdgeShard, ids: Sequence[str]) -> None:
    """Delete points by id."""
    if ids:
        shard.update(qe.UpdateOperation.delete_points(list(ids)))


def search(shard: qe.EdgeShard, query: VectorQuery) -> list[ScoredChunk]:
    """Dense, keyword or hybrid (DBSF or RRF fusion) search with an optional filter."""
    hits = shard.query(to_edge_query(query))
    return [
        ScoredChunk(id=str(h.id), score=h.score, chunk=msgspec.convert(h.payload, Chunk))
        for h in hits
    ]


def scroll(
    shard: qe.EdgeShard, flt: Filter | None, limit: int, offset: str | None
) -> tuple[list[StoredChunk], str | None]:
    """One page of stored chunks and the next offset."""
    request = qe.ScrollRequest(
        offset=offset,
        limit=limit,
        filter=to_edge_filter(flt) if flt else None,
        with_payload=True,
        with_vector=False,
    )
    records, nxt = shard.scroll(request)
    page = [StoredChunk(id=str(r.id), chunk=msgspec.convert(r.payload, Chunk)) for r in records]
    return page, (str(nxt) if nxt is not None else None)


def count(shard: qe.EdgeShard, flt: Filter | None) -> int:
    """Exact count of points matching ``flt``."""
    return shard.count(qe.CountRequest(exact=True, filter=to_edge_filter(flt) if flt else None))


def stats(shard: qe.EdgeShard, path: Path) -> CollectionStats:
    """Point count, indexed vectors and bytes on disk."""
    info = shard.info()
    # st_blocks, not st_size: the engine preallocates sparse mmap files.
    size = sum(f.stat().st_blocks * 512 for f in path.rglob("*") if f.is_file())
    return CollectionStats(
        points=info.points_count, size_bytes=size, indexed_points=info.indexed_vectors_count
    )


def points_pending_index(shard: qe.EdgeShard) -> tuple[int, int]:
    """Points and an estimate of those whose dense vector is not in an HNSW index yet.

    The engine counts indexed vectors of both kinds; keyword vectors are always indexed, so
    the dense ones missing are ``2 * points - indexed`` (a chunk with an empty keyword vector,
    all stop words, is counted as pending too).
    """
    info = shard.info()
    pending = VECTORS_PER_POINT * info.points_count - info.indexed_vectors_count
    return info.points_count, max(0, min(info.points_count, pending))


def to_edge_filter(flt: Filter) -> qe.Filter:
    """The engine's filter for a domain filter (all conditions must hold)."""
    conditions: list[Any] = []
    for cond in flt.must:
        if isinstance(cond, Match):
            conditions.append(qe.FieldCondition(cond.key, match=qe.MatchValue(cond.value)))
        elif isinstance(cond, AnyOf):
            conditions.append(qe.FieldCondition(cond.key, match=qe.MatchAny(cond.values)))
        elif isinstance(cond, Visible):
            shared = qe.FieldCondition(cond.key, match=qe.MatchAny(cond.labels))
            conditions.append(
                qe.Filter(should=[shared, qe.IsEmptyCondition(cond.key)])
                if cond.unlabelled
                else shared
            )
        else:
            rng = qe.RangeFloat(gte=cond.gte, gt=cond.gt, lte=cond.lte, lt=cond.lt)
            conditions.append(qe.FieldCondition(cond.key, range=rng))
    return qe.Filter(must=conditions)


def _fusion(query: VectorQuery) -> Any:
    """The engine's fusion for hybrid search (its stub omits the fusion classes' types)."""
    if query.fusion == "dbsf":
        return qe.Fusion.Dbsf()
    return qe.Fusion.Rrf(k=query.rrf_k)


def to_edge_query(query: VectorQuery) -> qe.QueryRequest:
    """The engine's query request for a domain query."""
    flt = to_edge_filter(query.filter) if query.filter and query.filter.must else None
    dense = qe.Query.Nearest(query.dense, using=DENSE) if query.dense is not None else None
    sparse = (
        qe.Query.Nearest(qe.SparseVector(query.sparse.indices, query.sparse.values), using=KEYWORD)
        if query.sparse is not None
        else None
    )
    if query.mode == "hybrid" and dense is not None and sparse is not None:
        return qe.QueryRequest(
            limit=query.limit,
            query=_fusion(query),
            prefetches=[
                qe.Prefetch(limit=query.prefetch_limit, query=dense),
                qe.Prefetch(limit=query.prefetch_limit, query=sparse),
            ],
            filter=flt,
            with_payload=True,
            score_threshold=query.score_threshold,
        )
    chosen = dense if query.mode == "dense" else sparse
    if chosen is None:
        raise ValueError(f"{query.mode} search needs its query vector")
    return qe.QueryRequest(
        limit=query.limit,
        query=chosen,
        filter=flt,
        with_payload=True,
        score_threshold=query.score_threshold,
    )
