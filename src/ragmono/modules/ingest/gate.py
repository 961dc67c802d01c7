"""Per-collection write gate: many writers at once, or one holder with no writer running.

Every write of a batch of points (upsert, delete, version bump) passes :meth:`WriteGate.writing`.
A reindex takes :meth:`WriteGate.held` for its final catch-up and the switch: new writes wait
(searches do not), writes already under way finish first.

Given a shared :class:`~ragmono.ports.WriteHolds` (Redis), the gate spans every replica: a
writer also registers there (and waits while another replica holds the collection), and a
holder also takes the shared hold, with a fencing token, and waits for every replica's
writers. The hold is renewed while held; :meth:`WriteGate.check_held` raises if it was lost
(the holder stalled past its TTL and another took it), so a reindex does not switch then.
When the shared holds cannot be reached (Redis down) the gate falls back to this process,
logged once per outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import structlog

from ragmono.errors import Conflict, DependencyUnavailable
from ragmono.ports import WriteHolds

__all__ = ["WriteGate"]

log = structlog.get_logger(__name__)


class WriteGate:
    """Shared writers or one exclusive holder, per collection name (writer waits are FIFO)."""

    def __init__(
        self,
        holds: WriteHolds | None = None,
        *,
        writer_ttl_s: float = 60.0,
        hold_ttl_s: float = 15.0,
        poll_s: float = 0.02,
    ) -> None:
        self._changed = asyncio.Condition()
        self._active: Counter[str] = Counter()
        self._held: set[str] = set()
        self._holds = holds
        self._owner = uuid.uuid4().hex
        self._writer_ttl_s = writer_ttl_s
        self._hold_ttl_s = hold_ttl_s
        self._poll_s = poll_s
        self._lost: set[str] = set()
        self._shared = True

    @contextlib.asynccontextmanager
    async def writing(self, collection: str) -> AsyncIterator[None]:
        """Enter as one of the collection's writers (waits while it is held, here or on
        another replica)."""
        async with self._changed:
            await self._changed.wait_for(lambda: collection not in self._held)
            self._active[collection] += 1
        writer = None
        try:
            writer = await self._enter(collection)
            yield
        finally:
            if writer is not None and self._holds is not None:
                with contextlib.suppress(DependencyUnavailable):
                    await self._holds.leave(collection, writer)
            async with self._changed:
                self._active[collection] -= 1
                if self._active[collection] <= 0:
                    del self._active[collection]
                self._changed.notify_all()

    @contextlib.asynccontextmanager
    async def held(self, collection: str) -> AsyncIterator[None]:
        """Hold the collection's writes: new ones wait, running ones are waited for."""
        async with self._changed:
            await self._changed.wait_for(lambda: collection not in self._held)
            self._held.add(collection)  # from here new writers queue up
            try:
                await self._changed.wait_for(lambda: self._active[collection] == 0)
            except BaseException:
                self._held.discard(collection)
                self._changed.notify_all()
                raise
        renewing: asyncio.Task[None] | None = None
        try:
            token = await self._hold(collection)
            if token is not None:
                renewing = asyncio.create_task(self._renew(collection, token))
            yield
        finally:
            if renewing is not None:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            if self._holds is not None:  # also when cancelled while waiting for writers
                with contextlib.suppress(DependencyUnavailable):
                    await self._holds.release(collection, self._owner)
            self._lost.discard(collection)
            async with self._changed:
                self._held.discard(collection)
                self._changed.notify_all()

    def check_held(self, collection: str) -> None:
        """Raise ``Conflict`` if this process's shared hold of ``collection`` was lost."""
        if collection in self._lost:
            raise Conflict(f"the write hold on {collection!r} was lost (another replica took it)")

    async def _enter(self, collection: str) -> str | None:
        """Register as a writer on every replica's view; None without shared holds."""
        if self._holds is None:
            return None
        writer = uuid.uuid4().hex
        while True:
            try:
                if await self._holds.enter(collection, writer, self._writer_ttl_s):
                    self._reachable(True, "enter")
                    return writer
            except DependencyUnavailable as exc:
                self._reachable(False, "enter", exc.detail)
                return None
            await asyncio.sleep(self._poll_s)  # another replica holds it: wait like a local one

    async def _hold(self, collection: str) -> int | None:
        """Take the shared hold and wait for every replica's writers; its fencing token."""
        if self._holds is None:
            return None
        try:
            while True:
                token = await self._holds.hold(collection, self._owner, self._hold_ttl_s)
                if token is not None:
                    break
                await asyncio.sleep(self._poll_s)  # another replica holds it
            while await self._holds.writers(collection) > 0:
                await self._holds.hold(collection, self._owner, self._hold_ttl_s)
                await asyncio.sleep(self._poll_s)
        except DependencyUnavailable as exc:
            self._reachable(False, "hold", exc.detail)
            return None
        self._reachable(True, "hold")
        log.info("write_hold_taken", collection=collection, token=token)
        return token

    async def _renew(self, collection: str, token: int) -> None:
        while True:
            await asyncio.sleep(self._hold_ttl_s / 3)
            assert self._holds is not None
            try:
                renewed = await self._holds.hold(collection, self._owner, self._hold_ttl_s)
            except DependencyUnavailable as exc:
                self._reachable(False, "renew", exc.detail)
                continue  # kept until it expires; renewed again once Redis answers
            if renewed != token:
                self._lost.add(collection)
                log.warning("write_hold_lost", collection=collection, token=token)
                return

    def _reachable(self, ok: bool, operation: str, error: str = "") -> None:
        if ok and not self._shared:
            self._shared = True
            log.info("write_holds_restored", operation=operation)
        elif not ok and self._shared:
            self._shared = False
            log.warning("write_holds_unavailable", operation=operation, error=error)
