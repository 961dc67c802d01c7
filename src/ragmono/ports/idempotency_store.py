"""The idempotency port: the first response to a request key, replayed on retries."""

from __future__ import annotations

from typing import Protocol


class IdempotencyStore(Protocol):
    """Opaque bytes by key with a time to live."""

    async def get(self, key: str) -> bytes | None:
        """The stored value, or None when missing or expired."""
        ...

    async def put(self, key: str, value: bytes, ttl_s: float) -> None:
        """Store ``value`` under ``key`` for ``ttl_s`` seconds."""
        ...
