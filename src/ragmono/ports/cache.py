"""The cache port: encoded search and query results under keys scoped by collection."""

from __future__ import annotations

from typing import Protocol

import msgspec

from ragmono.domain import DependencyHealth


class CacheStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counters since this process started (each replica counts its own)."""

    backend: str
    """``memory`` or ``redis``."""
    hits: int
    """Lookups answered: ``local_hits`` (in-process tier) plus remote ones."""
    misses: int
    sets: int
    local_hits: int
    local_entries: int
    """Entries in the in-process tier now."""
    errors: int = 0
    """Backend calls that failed and were bypassed."""
    available: bool = True
    """False while the backend is unreachable (the cache is bypassed meanwhile)."""


class Cache(Protocol):
    """A best-effort cache: it never raises on a backend failure, it misses instead.

    Keys are opaque strings (a hash computed by the caller, including the collection's content
    version, so a write to a collection is never answered from before it); ``collection``
    scopes them for invalidation.
    """

    @property
    def backend(self) -> str:
        """``memory`` or ``redis``."""
        ...

    async def get(self, collection: str, key: str) -> bytes | None:
        """The stored value, or None (absent, expired or backend down)."""
        ...

    async def set(self, collection: str, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value`` for ``ttl_s`` seconds."""
        ...

    async def invalidate(self, collection: str | None = None) -> int:
        """Drop every entry of ``collection`` (all when None); returns how many were dropped."""
        ...

    async def stats(self) -> CacheStats:
        """Hit, miss and size counters."""
        ...

    async def health(self) -> DependencyHealth:
        """Whether the backend answers (not required: the app works without a cache)."""
        ...

    async def close(self) -> None:
        """Finish pending writes and release connections."""
        ...
