"""Domain types to qdrant-client models and back (server and cluster modes).

The embedded adapter builds the same queries with qdrant-edge classes; both use the vector names
``dense`` and ``keyword`` and the same fusion (DBSF, or RRF with an explicit ``k``), so every
mode ranks and scores alike.
"""

from __future__ import annotations

from typing import Any

import msgspec
from qdrant_client import models

from ragmono.domain import (
    AnyOf,
    Chunk,
    ChunkPoint,
    CollectionSpec,
    Filter,
    Match,
    VectorQuery,
    Visible,
)

__all__ = [
    "DENSE",
    "INDEXED_FIELDS",
    "KEYWORD",
    "chunk_from_payload",
    "collection_vectors",
    "query_arguments",
    "to_filter",
    "to_point",
]

DENSE = "dense"
KEYWORD = "keyword"
INDEXED_FIELDS = ("document_id", "source", "content_hash", "access")
DISTANCES = {
    "cosine": models.Distance.COSINE,
    "dot": models.Distance.DOT,
    "euclid": models.Distance.EUCLID,
}


def collection_vectors(
    spec: CollectionSpec,
) -> tuple[dict[str, models.VectorParams], dict[str, models.SparseVectorParams]]:
    """Named dense vector ``dense`` and sparse ``keyword`` (IDF applied by the engine)."""
    dense = models.VectorParams(size=spec.embedder.dimensions, distance=DISTANCES[spec.distance])
    sparse = models.SparseVectorParams(modifier=models.Modifier.IDF)
    return {DENSE: dense}, {KEYWORD: sparse}


def to_filter(flt: Filter | None) -> models.Filter | None:
    """A conjunction of field conditions, or None for "everything"."""
    if flt is None or not flt.must:
        return None
    conditions: list[models.Condition] = []
    for cond in flt.must:
        if isinstance(cond, Match):
            match: Any = models.MatchValue(value=cond.value)
            conditions.append(models.FieldCondition(key=cond.key, match=match))
        elif isinstance(cond, AnyOf):
            match = models.MatchAny(any=cond.values)
            conditions.append(models.FieldCondition(key=cond.key, match=match))
        elif isinstance(cond, Visible):
            shared = models.FieldCondition(key=cond.key, match=models.MatchAny(any=cond.labels))
            empty = models.IsEmptyCondition(is_empty=models.PayloadField(key=cond.key))
            conditions.append(models.Filter(should=[shared, empty]) if cond.unlabelled else shared)
        else:
            rng = models.Range(gte=cond.gte, gt=cond.gt, lte=cond.lte, lt=cond.lt)
            conditions.append(models.FieldCondition(key=cond.key, range=rng))
    return models.Filter(must=conditions)


def to_point(point: ChunkPoint) -> models.PointStruct:
    """Both vectors always: a named vector left out of an upsert is dropped from the point."""
    sparse = models.SparseVector(indices=point.sparse.indices, values=point.sparse.values)
    return models.PointStruct(
        id=point.id,
        vector={DENSE: point.dense, KEYWORD: sparse},
        payload=msgspec.to_builtins(point.chunk),
    )


def chunk_from_payload(payload: dict[str, Any] | None) -> Chunk:
    """The stored payload as a :class:`Chunk`."""
    return msgspec.convert(payload or {}, Chunk)


def query_arguments(query: VectorQuery) -> dict[str, Any]:
    """Keyword arguments of ``AsyncQdrantClient.query_points`` for one domain query.

    Mirrors the embedded adapter: hybrid needs both vectors (else it runs as keyword search
    on the sparse one), dense and keyword need their own.
    """
    dense = query.dense
    sparse = (
        models.SparseVector(indices=query.sparse.indices, values=query.sparse.values)
        if query.sparse is not None
        else None
    )
    common: dict[str, Any] = {
        "query_filter": to_filter(query.filter),
        "limit": query.limit,
        "with_payload": True,
        "with_vectors": False,
        "score_threshold": query.score_threshold,
    }
    if query.mode == "hybrid" and dense is not None and sparse is not None:
        return {
            **common,
            "query": (
                models.FusionQuery(fusion=models.Fusion.DBSF)
                if query.fusion == "dbsf"
                else models.RrfQuery(rrf=models.Rrf(k=query.rrf_k))
            ),
            "prefetch": [
                models.Prefetch(query=dense, using=DENSE, limit=query.prefetch_limit),
                models.Prefetch(query=sparse, using=KEYWORD, limit=query.prefetch_limit),
            ],
        }
    if query.mode == "dense":
        if dense is None:
            raise ValueError("dense search needs its query vector")
        return {**common, "query": dense, "using": DENSE}
    if sparse is None:
        raise ValueError(f"{query.mode} search needs its query vector")
    return {**common, "query": sparse, "using": KEYWORD}
