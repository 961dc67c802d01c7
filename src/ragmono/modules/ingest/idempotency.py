"""Idempotency-Key: the first outcome of a request is stored and replayed to its retries.

A key is scoped to the collection and route. Reusing a key with a different request is a 422
(the key would otherwise answer for the wrong work). Concurrent retries of one key in this
process wait for the first; failures are not stored, so a retry after an error runs again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec

from ragmono.errors import InvalidInput
from ragmono.ports import IdempotencyStore

from .documents import IngestOutcome, IngestReport, JobAccepted

__all__ = ["Idempotency"]

FIELD = "header.Idempotency-Key"


class _Stored(msgspec.Struct, frozen=True):
    fingerprint: str
    report: IngestReport | None = None
    accepted: JobAccepted | None = None


class Idempotency:
    """Runs a request at most once per key within the TTL."""

    def __init__(self, store: IdempotencyStore, *, ttl_s: float) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._locks: dict[str, asyncio.Lock] = {}

    async def run(
        self,
        scope: str,
        key: str | None,
        fingerprint: str,
        work: Callable[[], Awaitable[IngestOutcome]],
    ) -> tuple[IngestOutcome, bool]:
        """The outcome of ``work`` (run now) or of its first run (replayed: True)."""
        if key is None:
            return await work(), False
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise InvalidInput("Idempotency-Key must be 1-255 printable characters", field=FIELD)
        store_key = f"idempotency:{scope}:{key}"
        lock = self._locks.setdefault(store_key, asyncio.Lock())
        try:
            async with lock:
                raw = await self._store.get(store_key)
                if raw is not None:
                    stored = msgspec.msgpack.decode(raw, type=_Stored)
                    if stored.fingerprint != fingerprint:
                        raise InvalidInput(
                            "this Idempotency-Key was already used for a different request",
                            field=FIELD,
                        )
                    outcome: IngestOutcome | None = stored.report or stored.accepted
                    assert outcome is not None
                    return outcome, True
                outcome = await work()
                record = _Stored(
                    fingerprint,
                    report=outcome if isinstance(outcome, IngestReport) else None,
                    accepted=outcome if isinstance(outcome, JobAccepted) else None,
                )
                await self._store.put(store_key, msgspec.msgpack.encode(record), self._ttl_s)
                return outcome, False
        finally:
            if not lock.locked() and self._locks.get(store_key) is lock:
                del self._locks[store_key]
