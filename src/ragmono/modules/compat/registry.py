"""The seed-only attributes of a collection: the directory it ingests and its flags.

ragmono's catalog has no place for the seed's ``directory``, ``fileTypes``, ``recursive``,
``enabled`` and ``autoUpdate``; the seed's ingest route needs the directory (it takes no body).
They are kept in one small JSON file in the data directory, written atomically. Everything
else about a collection (its embedder, chunking, stats) is read from ragmono's catalog.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import msgspec

__all__ = ["SeedAttributes", "SeedRegistry"]


class SeedAttributes(msgspec.Struct, frozen=True, kw_only=True):
    """What the seed's dashboard sets on a collection and ragmono's catalog does not hold."""

    directory: str = ""
    file_types: list[str] = msgspec.field(default_factory=list)
    recursive: bool = True
    enabled: bool = True
    auto_update: bool = False


_Table = dict[str, SeedAttributes]
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(_Table).decode


class SeedRegistry:
    """``SeedAttributes`` per collection name, in ``path`` (created on first write)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    def get(self, name: str) -> SeedAttributes:
        """The attributes of ``name`` (defaults for a collection made outside the seed API)."""
        return self._read().get(name, SeedAttributes())

    async def put(self, name: str, attributes: SeedAttributes) -> None:
        """Record the attributes of ``name``."""
        async with self._lock:
            table = self._read()
            table[name] = attributes
            await asyncio.to_thread(self._write, table)

    async def drop(self, name: str) -> None:
        """Forget ``name`` (its collection was deleted)."""
        async with self._lock:
            table = self._read()
            if table.pop(name, None) is not None:
                await asyncio.to_thread(self._write, table)

    def _read(self) -> _Table:
        try:
            return _decode(self._path.read_bytes())
        except FileNotFoundError:
            return {}

    def _write(self, table: _Table) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_bytes(_encode(table))
        os.replace(tmp, self._path)  # readers see the old table or the new one, never half
