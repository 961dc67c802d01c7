"""In-memory twins of the ports: fast, deterministic, no files. Used by unit tests."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any

import msgspec

from ragmono.domain import (
    AnyOf,
    Chunk,
    ChunkPoint,
    CollectionSpec,
    CollectionStats,
    DependencyHealth,
    EmbedderRef,
    Filter,
    Match,
    ScoredChunk,
    SparseVector,
    VectorQuery,
    Visible,
)
from ragmono.errors import Conflict, NotFound
from ragmono.ports import StoredChunk

__all__ = ["HashingEmbedder", "MemoryMigrationLedger", "MemoryVectorStore", "SimpleSparseEncoder"]

_WORD = re.compile(r"\w+")


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def _hash(token: str, modulo: int) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "big") % modulo


class HashingEmbedder:
    """Bag-of-words hashed into ``dimensions`` and L2-normalised: same words, close vectors."""

    def __init__(self, dimensions: int = 384) -> None:
        self._ref = EmbedderRef(provider="hashing", model="hashing", dimensions=dimensions)

    @property
    def ref(self) -> EmbedderRef:
        """Provider ``hashing`` with the configured dimensions."""
        return self._ref

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self._ref.dimensions
        for tok in _tokens(text):
            vec[_hash(tok, self._ref.dimensions)] += 1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """One hashed vector per text (``priority`` changes nothing: there is no queue)."""
        return [self._embed(t) for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        """The hashed vector of ``text``."""
        return self._embed(text)

    async def health(self) -> DependencyHealth:
        """Always reachable."""
        return DependencyHealth(name="embedder", mode="hashing", reachable=True, latency_ms=0.0)

    async def close(self) -> None:
        """Nothing to release."""


class SimpleSparseEncoder:
    """Term counts over hashed lower-case words (no stemming, no stop words)."""

    def _encode(self, text: str, *, binary: bool) -> SparseVector:
        weights: dict[int, float] = {}
        for tok in _tokens(text):
            idx = _hash(tok, 2**31)
            weights[idx] = 1.0 if binary else weights.get(idx, 0.0) + 1.0
        indices = sorted(weights)
        return SparseVector(indices=indices, values=[weights[i] for i in indices])

    def encode_document(self, text: str) -> SparseVector:
        """Term counts."""
        return self._encode(text, binary=False)

    def encode_query(self, text: str) -> SparseVector:
        """Term presence."""
        return self._encode(text, binary=True)


class _MemoryCollection:
    def __init__(self, spec: CollectionSpec) -> None:
        self.spec = spec
        self.points: dict[str, ChunkPoint] = {}


class MemoryVectorStore:
    """:class:`~ragmono.ports.VectorStore` as dicts with brute-force scoring."""

    mode = "memory"

    def __init__(self) -> None:
        self._collections: dict[str, _MemoryCollection] = {}
        self.fail_with: Exception | None = None
        """Set to make every call raise it (fault injection in unit tests)."""

    def _get(self, name: str) -> _MemoryCollection:
        if self.fail_with is not None:
            raise self.fail_with
        try:
            return self._collections[name]
        except KeyError:
            raise NotFound(f"collection {name!r} does not exist", field="collection") from None

    async def create_collection(self, spec: CollectionSpec) -> None:
        """Record a new collection."""
        if spec.name in self._collections:
            raise Conflict(f"collection {spec.name!r} already exists", field="name")
        self._collections[spec.name] = _MemoryCollection(spec)

    async def get_collection(self, name: str) -> CollectionSpec | None:
        """The spec or None."""
        found = self._collections.get(name)
        return found.spec if found else None

    async def list_collections(self) -> list[CollectionSpec]:
        """Specs sorted by name."""
        return [self._collections[k].spec for k in sorted(self._collections)]

    async def update_collection(self, spec: CollectionSpec) -> None:
        """Replace the spec."""
        self._get(spec.name).spec = spec

    async def delete_collection(self, name: str) -> None:
        """Drop the collection."""
        self._get(name)
        del self._collections[name]

    async def stats(self, name: str) -> CollectionStats:
        """Point count and a rough size."""
        points = len(self._get(name).points)
        return CollectionStats(points=points, size_bytes=points * 2048, indexed_points=0)

    async def upsert(self, collection: str, points: Sequence[ChunkPoint]) -> None:
        """Insert or replace points by id."""
        target = self._get(collection).points
        for p in points:
            target[p.id] = p

    async def delete(self, collection: str, flt: Filter) -> None:
        """Delete matching points."""
        target = self._get(collection).points
        for pid in [pid for pid, p in target.items() if _matches(p, flt)]:
            del target[pid]

    async def set_payload(self, collection: str, flt: Filter, payload: dict[str, Any]) -> None:
        """Set payload keys on matching points (vectors kept)."""
        target = self._get(collection).points
        for pid, p in list(target.items()):
            if _matches(p, flt):
                merged = {**msgspec.to_builtins(p.chunk), **payload}
                target[pid] = msgspec.structs.replace(p, chunk=msgspec.convert(merged, Chunk))

    async def delete_points(self, collection: str, ids: Sequence[str]) -> None:
        """Delete points by id."""
        target = self._get(collection).points
        for pid in ids:
            target.pop(pid, None)

    async def search(self, collection: str, query: VectorQuery) -> list[ScoredChunk]:
        """Brute-force dense, keyword or hybrid (DBSF or RRF, as Qdrant fuses) search."""
        candidates = [p for p in self._get(collection).points.values() if _matches(p, query.filter)]
        dense = _rank(candidates, lambda p: _dot(p.dense, query.dense or []))
        sparse = _rank(candidates, lambda p: _sparse_dot(p.sparse, query.sparse))
        if query.mode == "hybrid":
            fused: dict[str, float] = {}
            for ranking in (dense[: query.prefetch_limit], sparse[: query.prefetch_limit]):
                if query.fusion == "dbsf":
                    for score, p in _distribution_scaled(ranking):
                        fused[p.id] = fused.get(p.id, 0.0) + score
                    continue
                for rank, (_, p) in enumerate(ranking):
                    fused[p.id] = fused.get(p.id, 0.0) + 1.0 / (query.rrf_k + rank)
            by_id = {p.id: p for p in candidates}
            scored = sorted(((s, by_id[i]) for i, s in fused.items()), key=lambda x: -x[0])
        else:
            scored = dense if query.mode == "dense" else sparse
        threshold = query.score_threshold
        return [
            ScoredChunk(id=p.id, score=s, chunk=p.chunk)
            for s, p in scored[: query.limit]
            if threshold is None or s >= threshold
        ]

    async def scroll(
        self, collection: str, flt: Filter | None, limit: int, offset: str | None = None
    ) -> tuple[list[StoredChunk], str | None]:
        """Pages in id order."""
        ids = sorted(pid for pid, p in self._get(collection).points.items() if _matches(p, flt))
        start = ids.index(offset) if offset in ids else 0
        page = ids[start : start + limit]
        nxt = ids[start + limit] if start + limit < len(ids) else None
        points = self._collections[collection].points
        return [StoredChunk(id=i, chunk=points[i].chunk) for i in page], nxt

    async def count(self, collection: str, flt: Filter | None = None) -> int:
        """Matching point count."""
        return sum(1 for p in self._get(collection).points.values() if _matches(p, flt))

    async def ensure_payload_indexes(self, collection: str) -> None:
        """Nothing to index: filters scan the dicts."""
        self._get(collection)

    async def optimize(self, collection: str) -> None:
        """Nothing to index."""
        self._get(collection)

    async def health(self) -> DependencyHealth:
        """Reachable unless a failure is injected."""
        return DependencyHealth(
            name="qdrant", mode=self.mode, reachable=self.fail_with is None, latency_ms=0.0
        )

    async def close(self) -> None:
        """Nothing to release."""


def _payload_value(point: ChunkPoint, key: str) -> Any:
    value: Any = msgspec.to_builtins(point.chunk)
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _matches(point: ChunkPoint, flt: Filter | None) -> bool:
    if flt is None:
        return True
    for cond in flt.must:
        value = _payload_value(point, cond.key)
        if isinstance(cond, Match):
            ok = value == cond.value
        elif isinstance(cond, AnyOf):
            ok = value in cond.values
        elif isinstance(cond, Visible):
            held = value if isinstance(value, list) else [] if value is None else [value]
            ok = (not held and cond.unlabelled) or not set(cond.labels).isdisjoint(held)
        else:
            ok = isinstance(value, int | float) and all(
                (
                    cond.gte is None or value >= cond.gte,
                    cond.gt is None or value > cond.gt,
                    cond.lte is None or value <= cond.lte,
                    cond.lt is None or value < cond.lt,
                )
            )
        if not ok:
            return False
    return True


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False))


def _sparse_dot(doc: SparseVector, query: SparseVector | None) -> float:
    if query is None:
        return 0.0
    weights = dict(zip(doc.indices, doc.values, strict=True))
    return sum(weights.get(i, 0.0) * v for i, v in zip(query.indices, query.values, strict=True))


def _distribution_scaled(
    ranking: list[tuple[float, ChunkPoint]],
) -> list[tuple[float, ChunkPoint]]:
    """Scores mapped so mean - 3 sd is 0 and mean + 3 sd is 1 (Qdrant's DBSF; sample sd)."""
    if not ranking:
        return []
    scores = [s for s, _ in ranking]
    mean = sum(scores) / len(scores)
    variance = sum((s - mean) ** 2 for s in scores) / max(1, len(scores) - 1)
    low, high = mean - 3 * variance**0.5, mean + 3 * variance**0.5
    if high <= low:
        return [(0.5, p) for _, p in ranking]
    return [((s - low) / (high - low), p) for s, p in ranking]


def _rank(points: list[ChunkPoint], score: Any) -> list[tuple[float, ChunkPoint]]:
    scored = [(score(p), p) for p in points]
    return sorted((s for s in scored if s[0] > 0), key=lambda x: -x[0])


class MemoryMigrationLedger:
    """:class:`~ragmono.ports.MigrationLedger` as a list (lives as long as the store twin)."""

    def __init__(self) -> None:
        self._ids: list[str] = []

    async def applied(self) -> list[str]:
        """Ids in the order recorded."""
        return list(self._ids)

    async def record(self, migration_id: str) -> None:
        """Append unless already recorded."""
        if migration_id not in self._ids:
            self._ids.append(migration_id)
