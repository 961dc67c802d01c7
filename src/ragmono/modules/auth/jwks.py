"""The public keys of RS256/ES256 bearer tokens: fetched from the JWKS URL and cached.

Like PyJWT's ``PyJWKClient`` (keys cached, fetched again when a token names an unknown ``kid``)
but async, so a fetch never blocks the event loop, and bounded: unknown key ids cause at most
one fetch per ``min_refresh_s`` (a flood of made-up ``kid`` values cannot hammer the IdP), and
concurrent callers share one fetch. When the IdP is unreachable, keys already fetched keep
working; with none fetched yet, callers get 503 (the token may well be valid).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import jwt
import structlog

from ragmono.errors import DependencyUnavailable, Unauthorized
from ragmono.ports import JwksSource

__all__ = ["JwksKeys"]

log = structlog.get_logger("ragmono.auth")


class JwksKeys:
    """Resolves ``(kid, alg)`` to a verification key from a cached JSON Web Key Set."""

    def __init__(
        self,
        source: JwksSource,
        *,
        cache_s: float = 300.0,
        min_refresh_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._cache_s = cache_s
        self._min_refresh_s = min_refresh_s
        self._clock = clock
        self._keys: list[jwt.PyJWK] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        """The key for this token header.

        ``Unauthorized`` when the key set has no such key; ``DependencyUnavailable`` (503) when
        no key set could be fetched yet, since the token may well be valid.
        """
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self._cache_s
        if stale and self._may_fetch(now):
            await self._refresh(now)
        key = self._find(kid, alg)
        if key is None and self._may_fetch(now):
            await self._refresh(now)  # the IdP may have rotated its keys
            key = self._find(kid, alg)
        if key is not None:
            return key
        if not self._keys:
            raise DependencyUnavailable(
                "jwks", "no token signing keys could be fetched", retry_after_s=self._min_refresh_s
            )
        raise Unauthorized(f"bearer token key id {kid!r} ({alg}) is not in the key set")

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_refresh_s

    def _find(self, kid: str | None, alg: str) -> jwt.PyJWK | None:
        usable = [k for k in self._keys if k.algorithm_name == alg]
        if kid is None:
            return usable[0] if len(usable) == 1 else None
        return next((k for k in usable if k.key_id == kid), None)

    async def _refresh(self, requested_at: float) -> None:
        async with self._lock:
            if self._attempted_at is not None and self._attempted_at >= requested_at:
                return  # another caller fetched while this one waited
            self._attempted_at = self._clock()
            try:
                document = await self._source.fetch()
                keys = jwt.PyJWKSet.from_dict(document).keys
            except (DependencyUnavailable, jwt.PyJWKSetError) as exc:
                # Keys already fetched keep working; without any, key_for answers 503.
                log.warning("jwks_fetch_failed", error=str(exc), cached_keys=len(self._keys))
                return
            usable = [k for k in keys if k.public_key_use in (None, "sig")]
            if self._keys and {k.key_id for k in usable} != {k.key_id for k in self._keys}:
                log.info("jwks_keys_changed", kids=sorted(str(k.key_id) for k in usable))
            self._keys = usable
            self._fetched_at = self._attempted_at
