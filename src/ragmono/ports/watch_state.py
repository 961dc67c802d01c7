"""What watched folders share between replicas: the watches added at run time, and who runs each.

In one process the book is a file in the data directory and a lease is always granted; with
Redis, every replica reads the same book and one replica at a time holds each watch's lease.
"""

from __future__ import annotations

from typing import Protocol

from .leases import LeaseStore

__all__ = ["LeaseStore", "WatchBook"]


class WatchBook(Protocol):
    """The watches added at run time, by id, each an encoded entry (opaque here)."""

    async def entries(self) -> dict[str, bytes]:
        """Every saved watch."""
        ...

    async def put(self, watch_id: str, entry: bytes) -> None:
        """Save (or replace) one watch; durable when this returns."""
        ...

    async def delete(self, watch_id: str) -> None:
        """Forget one watch (no error when unknown)."""
        ...
