"""Cached search and query results: keys, and values stored as ready-to-send JSON.

A key hashes the normalised query, the collection, every parameter that changes the result
and the collection's content version. Ingest bumps the version on every write, so a result
computed before a write is never served after it: its key is simply never asked for again
(it ages out by TTL or LRU).

A value is the response body as it will be sent, ``"cached": true`` included, minus its
trailing ``timings`` object, which is appended fresh on each hit; so a hit costs a lookup
and a concatenation, with no decoding (see ``fast_path.py``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import msgspec

from ragmono.domain import CollectionSpec, Reader
from ragmono.ports import Cache, CacheStats, Telemetry

__all__ = [
    "KEY_FORMAT",
    "CacheAdmin",
    "Probe",
    "ResultCache",
    "cache_key",
    "normalise_query",
]

KEY_FORMAT = 2
"""Bump when the cached value's shape changes, so old entries are not decoded as new ones."""

_SPACE = re.compile(r"\s+")
_encode = msgspec.json.Encoder(order="deterministic").encode
_body = msgspec.json.Encoder().encode
_TIMINGS = b',"timings":'


@dataclass(frozen=True, slots=True)
class Probe:
    """What one cache lookup by the fast path found: a ready body, or the key that missed.

    The fast path hands ``missed_key`` to the regular handler, which passes it to the
    service: a key that just missed is not asked for again, so a miss costs one lookup
    (one Redis round trip).
    """

    body: bytes | None = None
    missed_key: str | None = None


def normalise_query(query: str) -> str:
    """NFKC, case-folded, whitespace collapsed: ``"  Paid  LEAVE "`` -> ``"paid leave"``.

    Safe for the shipped embedder (all-MiniLM-L6-v2 lower-cases its input) and for BM25.
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", query).casefold()).strip()


def cache_key(kind: str, collection: str, version: int, query: str, *params: object) -> str:
    """A 32-hex-digit key for one ``kind`` of result (``search``, ``query``)."""
    material = _encode([KEY_FORMAT, kind, collection, version, normalise_query(query), params])
    return hashlib.blake2b(material, digest_size=16).hexdigest()


class ResultCache:
    """One kind of cached result (``search`` or ``query``) in a :class:`Cache`."""

    def __init__(
        self,
        cache: Cache | None,
        *,
        ttl_s: float,
        kind: str,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._cache = cache if ttl_s > 0 else None
        self._ttl_s = ttl_s
        self._kind = kind
        self._telemetry = telemetry

    @property
    def enabled(self) -> bool:
        """False when there is no cache or its TTL is 0."""
        return self._cache is not None

    def key(self, spec: CollectionSpec, query: str, *params: object, reader: Reader) -> str:
        """The key of a result of ``spec`` at its current content version, for ``reader``.

        The reader's access labels are part of it: callers with other labels find other
        chunks, so one caller's result is never served to another label set.
        """
        # The embedder and physical collection too: after a reindex the same name and query
        # give other results (the version is bumped as well; this does not rely on it).
        where = (spec.embedder.label, spec.embedder.dimensions, spec.physical)
        who = (reader.key, spec.default_access, spec.tenant)
        return cache_key(self._kind, spec.name, spec.version, query, where, who, *params)

    async def lookup(self, collection: str, key: str) -> bytes | None:
        """The stored body (without timings), or None."""
        if self._cache is None:
            return None
        found = await self._cache.get(collection, key)
        if self._telemetry is not None:
            self._telemetry.count_cache(self._kind, "miss" if found is None else "hit")
        return found

    async def store(self, collection: str, key: str, result: Any) -> None:
        """Keep ``result`` (a response Struct whose last field is ``timings``) as a body."""
        if self._cache is None:
            return
        encoded = _body(msgspec.structs.replace(result, cached=True))
        await self._cache.set(collection, key, encoded[: encoded.rindex(_TIMINGS)], self._ttl_s)

    @staticmethod
    def body(stored: bytes, timings: msgspec.Struct) -> bytes:
        """The full response body: the stored part and fresh ``timings``."""
        return b"".join((stored, _TIMINGS, _body(timings), b"}"))


class CacheAdmin:
    """Cache statistics and invalidation for operators."""

    def __init__(self, cache: Cache, *, ttl_s: float) -> None:
        self._cache = cache
        self.ttl_s = ttl_s

    async def stats(self) -> CacheStats:
        """This process's counters."""
        return await self._cache.stats()

    async def invalidate(self, collection: str | None) -> int:
        """Drop cached results of one collection (all when None); how many were dropped."""
        return await self._cache.invalidate(collection)
