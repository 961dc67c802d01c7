"""A lock every replica respects: one lease of the shared :class:`LeaseStore`, polled while
another replica holds it.

Guards short read-modify-write steps that must not interleave across replicas (the
collection's content version). The lease expires on its own, so a replica that dies holding
it delays the others by at most ``ttl_s``. When the lease store cannot be reached (Redis
down) the step runs under this process's lock only, logged once per outage: writes keep
working, and only replicas writing the same collection at that moment can race.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator

import structlog

from ragmono.errors import DependencyUnavailable
from ragmono.ports import LeaseStore

__all__ = ["SharedLock"]

log = structlog.get_logger(__name__)


class SharedLock:
    """Mutual exclusion by name across this process and every replica sharing ``leases``
    (this process only when ``leases`` is None)."""

    def __init__(
        self,
        leases: LeaseStore | None,
        *,
        ttl_s: float = 10.0,
        poll_s: float = 0.005,
        wait_s: float = 30.0,
    ) -> None:
        self._leases = leases
        self._owner = uuid.uuid4().hex
        self._ttl_s = ttl_s
        self._poll_s = poll_s
        self._wait_s = wait_s
        self._local: dict[str, asyncio.Lock] = {}
        self._shared = True

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """Hold ``name`` here and across replicas for the block.

        Raises ``DependencyUnavailable`` when another replica keeps it longer than ``wait_s``.
        """
        async with self._local.setdefault(name, asyncio.Lock()):
            shared = await self._take(name)
            try:
                yield
            finally:
                if shared and self._leases is not None:
                    with contextlib.suppress(DependencyUnavailable):
                        await self._leases.release(name, self._owner)

    async def _take(self, name: str) -> bool:
        """Whether the shared lease was taken (False: none, or the lease store is unreachable)."""
        if self._leases is None:
            return False
        deadline = time.monotonic() + self._wait_s
        while True:
            try:
                if await self._leases.hold(name, self._owner, self._ttl_s):
                    if not self._shared:
                        self._shared = True
                        log.info("shared_lock_restored", lock=name)
                    return True
            except DependencyUnavailable as exc:
                if self._shared:
                    self._shared = False
                    log.warning("shared_lock_unavailable", lock=name, error=exc.detail)
                return False
            if time.monotonic() > deadline:
                raise DependencyUnavailable("redis", f"lock {name!r} held elsewhere too long")
            await asyncio.sleep(self._poll_s)
