"""Per-collection write gate: many writers at once, or one holder with no writer running.

Every write of a batch of points (upsert, delete, version bump) passes :meth:`WriteGate.writing`.
A reindex takes :meth:`WriteGate.held` for its final catch-up and the switch: new writes wait
(searches do not), writes already under way finish first. The hold is per process; see the
README (reindex) for what that means with several replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

__all__ = ["WriteGate"]


class WriteGate:
    """Shared writers or one exclusive holder, per collection name (writer waits are FIFO)."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._active: Counter[str] = Counter()
        self._held: set[str] = set()

    @contextlib.asynccontextmanager
    async def writing(self, collection: str) -> AsyncIterator[None]:
        """Enter as one of the collection's writers (waits while it is held)."""
        async with self._changed:
            await self._changed.wait_for(lambda: collection not in self._held)
            self._active[collection] += 1
        try:
            yield
        finally:
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
        try:
            yield
        finally:
            async with self._changed:
                self._held.discard(collection)
                self._changed.notify_all()
