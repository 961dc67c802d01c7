"""One process's watch state: the book in a JSON file of the data directory, leases in memory."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path

from ragmono.files import write_atomic

__all__ = ["FileWatchBook", "MemoryLeaseStore"]


class FileWatchBook:
    """Implements ``WatchBook`` on ``<data_dir>/watches.json`` (rewritten atomically)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    async def entries(self) -> dict[str, bytes]:
        """Every saved watch (an unreadable file raises OSError or ValueError)."""
        return await asyncio.to_thread(self._read)

    async def put(self, watch_id: str, entry: bytes) -> None:
        """Save one watch."""
        async with self._lock:
            entries = await asyncio.to_thread(self._read)
            entries[watch_id] = entry
            await asyncio.to_thread(self._write, entries)

    async def delete(self, watch_id: str) -> None:
        """Forget one watch."""
        async with self._lock:
            entries = await asyncio.to_thread(self._read)
            if entries.pop(watch_id, None) is not None:
                await asyncio.to_thread(self._write, entries)

    def _read(self) -> dict[str, bytes]:
        if not self._path.exists():
            return {}
        raw = json.loads(self._path.read_text("utf-8"))
        return {key: base64.b64decode(value) for key, value in raw.items()}

    def _write(self, entries: dict[str, bytes]) -> None:
        text = json.dumps({k: base64.b64encode(v).decode() for k, v in sorted(entries.items())})
        write_atomic(self._path, text.encode())


class MemoryLeaseStore:
    """Implements ``LeaseStore`` in this process (one replica: every lease is its own)."""

    def __init__(self) -> None:
        self._leases: dict[str, tuple[str, float]] = {}

    async def hold(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take or renew ``name`` for ``owner`` unless another holds it unexpired."""
        now = time.monotonic()
        holder = self._leases.get(name)
        if holder is not None and holder[0] != owner and holder[1] > now:
            return False
        self._leases[name] = (owner, now + ttl_s)
        return True

    async def release(self, name: str, owner: str) -> None:
        """Drop ``name`` if ``owner`` holds it."""
        holder = self._leases.get(name)
        if holder is not None and holder[0] == owner:
            del self._leases[name]
