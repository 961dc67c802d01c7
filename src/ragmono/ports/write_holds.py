"""A collection's writes held across replicas: many writers at once, or one holder.

Each replica's :class:`~ragmono.modules.ingest.WriteGate` orders its own writers and holder;
this port extends the gate to every replica sharing it (Redis). A writer registers for the
moment it writes and is refused while another holds the collection; a holder takes the hold
with a fencing token, then waits until no registered writer is left. Entries expire, so a
replica that dies holding or writing delays the others by at most its TTL.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["WriteHolds"]


class WriteHolds(Protocol):
    """Writers and the one holder of each collection, shared by replicas."""

    async def enter(self, collection: str, writer: str, ttl_s: float) -> bool:
        """Register ``writer`` for ``ttl_s``; False (nothing registered) while it is held."""
        ...

    async def leave(self, collection: str, writer: str) -> None:
        """Unregister ``writer`` (no error when unknown)."""
        ...

    async def hold(self, collection: str, owner: str, ttl_s: float) -> int | None:
        """Take or renew the hold for ``owner``: its fencing token (new on each take, the same
        on a renewal), or None while another owner holds it."""
        ...

    async def writers(self, collection: str) -> int:
        """Writers registered and not expired."""
        ...

    async def release(self, collection: str, owner: str) -> None:
        """Drop the hold if ``owner`` has it."""
        ...
