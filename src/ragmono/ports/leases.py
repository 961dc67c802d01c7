"""Named leases with an expiry, one owner at a time: what replicas coordinate through.

In one process every lease is its own (an in-process twin); with Redis, replicas share them.
Used for watched folders (who follows each), the collection version bump (a cluster-wide
lock) and scheduled backups (who runs each slot).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["LeaseStore"]


class LeaseStore(Protocol):
    """Named leases with an expiry: one owner at a time."""

    async def hold(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take the lease if free or expired, renew it if ``owner`` has it; whether it has it."""
        ...

    async def release(self, name: str, owner: str) -> None:
        """Give the lease up now if ``owner`` has it, so another can take it at once."""
        ...
