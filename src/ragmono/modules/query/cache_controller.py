"""HTTP for /api/v1/admin/cache: statistics and invalidation."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from .cache import CacheAdmin

__all__ = ["CacheAdminController"]


class CacheStatsOut(msgspec.Struct, frozen=True, kw_only=True):
    """Counters of this process since it started."""

    backend: str
    ttl_s: float
    hits: int
    misses: int
    hit_ratio: float
    sets: int
    local_hits: int
    local_entries: int
    errors: int
    available: bool


class InvalidatedOut(msgspec.Struct, frozen=True, kw_only=True):
    """What an invalidation removed."""

    collection: str | None
    dropped: int


class CacheAdminController(Controller):
    """Look into and empty the search and answer cache."""

    path = "/admin/cache"
    tags = ["admin"]
    opt = {"scope": "admin"}

    @get("/", summary="Cache statistics", cache=False)
    async def stats(self, cache_admin: NamedDependency[CacheAdmin]) -> CacheStatsOut:
        s = await cache_admin.stats()
        lookups = s.hits + s.misses
        return CacheStatsOut(
            backend=s.backend,
            ttl_s=cache_admin.ttl_s,
            hits=s.hits,
            misses=s.misses,
            hit_ratio=round(s.hits / lookups, 4) if lookups else 0.0,
            sets=s.sets,
            local_hits=s.local_hits,
            local_entries=s.local_entries,
            errors=s.errors,
            available=s.available,
        )

    @delete("/", status_code=200, summary="Drop cached results (one collection or all)")
    async def invalidate(
        self,
        cache_admin: NamedDependency[CacheAdmin],
        collection: Annotated[
            str | None, QueryParameter(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", required=False)
        ] = None,
    ) -> InvalidatedOut:
        dropped = await cache_admin.invalidate(collection)
        return InvalidatedOut(collection=collection, dropped=dropped)
