"""Cache keys for search and query results.

A key hashes the normalised query, the collection, every parameter that changes the result
and the collection's content version. Ingest bumps the version on every write, so a result
computed before a write is never served after it: its key is simply never asked for again
(it ages out by TTL or LRU).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import msgspec

from ragmono.ports import Cache, CacheStats

__all__ = ["KEY_FORMAT", "CacheAdmin", "cache_key", "normalise_query"]

KEY_FORMAT = 1
"""Bump when the cached value's shape changes, so old entries are not decoded as new ones."""

_SPACE = re.compile(r"\s+")
_encode = msgspec.json.Encoder(order="deterministic").encode


def normalise_query(query: str) -> str:
    """NFKC, case-folded, whitespace collapsed: ``"  Paid  LEAVE "`` -> ``"paid leave"``.

    Safe for the shipped embedder (all-MiniLM-L6-v2 lower-cases its input) and for BM25.
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", query).casefold()).strip()


def cache_key(kind: str, collection: str, version: int, query: str, *params: object) -> str:
    """A 32-hex-digit key for one ``kind`` of result (``search``, ``query``)."""
    material = _encode([KEY_FORMAT, kind, collection, version, normalise_query(query), params])
    return hashlib.blake2b(material, digest_size=16).hexdigest()


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
