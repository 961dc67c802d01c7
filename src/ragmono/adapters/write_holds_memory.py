"""In-process twin of the ``WriteHolds`` port (one replica, or replicas simulated in tests)."""

from __future__ import annotations

import time

__all__ = ["MemoryWriteHolds"]


class MemoryWriteHolds:
    """Implements ``WriteHolds`` in this process, with expiring entries."""

    def __init__(self) -> None:
        self._writers: dict[str, dict[str, float]] = {}
        self._holds: dict[str, tuple[str, int, float]] = {}
        self._tokens = 0

    def _held_by(self, collection: str) -> tuple[str, int] | None:
        found = self._holds.get(collection)
        if found is None or found[2] <= time.monotonic():
            return None
        return found[0], found[1]

    async def enter(self, collection: str, writer: str, ttl_s: float) -> bool:
        """Register ``writer`` unless the collection is held."""
        if self._held_by(collection) is not None:
            return False
        self._writers.setdefault(collection, {})[writer] = time.monotonic() + ttl_s
        return True

    async def leave(self, collection: str, writer: str) -> None:
        """Unregister ``writer``."""
        self._writers.get(collection, {}).pop(writer, None)

    async def hold(self, collection: str, owner: str, ttl_s: float) -> int | None:
        """Take or renew the hold; its fencing token, or None when another owner has it."""
        held = self._held_by(collection)
        if held is not None and held[0] != owner:
            return None
        if held is None:
            self._tokens += 1
            token = self._tokens
        else:
            token = held[1]
        self._holds[collection] = (owner, token, time.monotonic() + ttl_s)
        return token

    async def writers(self, collection: str) -> int:
        """Writers not expired."""
        now = time.monotonic()
        return sum(1 for until in self._writers.get(collection, {}).values() if until > now)

    async def release(self, collection: str, owner: str) -> None:
        """Drop the hold if ``owner`` has it."""
        held = self._held_by(collection)
        if held is not None and held[0] == owner:
            del self._holds[collection]
