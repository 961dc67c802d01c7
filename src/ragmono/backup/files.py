"""The backup medium of a file-backed store (embedded mode): copy under paused writes, swap in.

The backup holds ``catalog.json`` and ``collections/<name>/...``. Restore stages a copy beside
the data (same filesystem, so the swap is a rename), checks it again, then swaps it in.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog

from ragmono.errors import Conflict
from ragmono.ports import CollectionEntry, RestorableVectorStore

from .manifest import BackupManifest, verify_files

__all__ = ["FileCopyMedium", "sparse_copy"]

log = structlog.get_logger(__name__)


class FileCopyMedium:
    """:class:`~ragmono.ports.BackupMedium` over a store that can pause writes and swap data."""

    engine = "qdrant-edge"

    def __init__(self, store: RestorableVectorStore, *, staging: Path, engine_version: str) -> None:
        self._store = store
        self._staging = staging
        self._engine_version = engine_version
        self.mode = store.mode

    @property
    def nodes(self) -> list[str]:
        """None: the data is a local directory."""
        return []

    async def engine_versions(self) -> list[str]:
        """The engine library's version."""
        return [self._engine_version]

    async def write(self, into: Path) -> list[CollectionEntry]:
        """Copy every collection and the catalog while writes are paused."""
        (into / "collections").mkdir(parents=True, exist_ok=True)
        entries = []
        async with self._store.paused_writes() as root:
            paused = time.perf_counter()
            for spec in await self._store.list_collections():
                points = await self._store.count(spec.name)
                entries.append(CollectionEntry(name=spec.name, points=points))
                await asyncio.to_thread(
                    shutil.copytree,
                    root / "collections" / spec.name,
                    into / "collections" / spec.name,
                    copy_function=sparse_copy,
                )
            if (root / "catalog.json").exists():  # absent until the first collection
                await asyncio.to_thread(shutil.copy2, root / "catalog.json", into)
            log.info("backup_writes_paused", seconds=round(time.perf_counter() - paused, 3))
        return entries

    async def restore(
        self, source: Path, files: Mapping[str, str], collections: Sequence[CollectionEntry]
    ) -> None:
        """Stage a copy beside the data, verify it again, then swap it in."""
        staged = self._staging / source.name
        shutil.rmtree(staged, ignore_errors=True)
        staged.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copytree, source, staged, copy_function=sparse_copy)
        (staged / "manifest.json").unlink(missing_ok=True)
        check = BackupManifest(
            id=source.name,
            created_at=0,
            ragmono_version="",
            engine_version="",
            collections=list(collections),
            files=dict(files),
        )
        problems = await asyncio.to_thread(verify_files, staged, check)
        if problems:  # the copy itself went wrong (disk full, bad sector)
            shutil.rmtree(staged, ignore_errors=True)
            raise Conflict(f"staging backup {source.name} failed: {problems[0]}", field="id")
        await self._store.replace_data(staged)


def sparse_copy(src: str, dst: str) -> str:
    """Copy a file keeping holes: the engine preallocates large, mostly empty mmap files."""
    block = 1 << 20
    zero = bytes(block)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(block):
            if chunk == zero[: len(chunk)]:
                fout.seek(len(chunk), 1)
            else:
                fout.write(chunk)
        fout.truncate()
    shutil.copystat(src, dst)
    return dst
