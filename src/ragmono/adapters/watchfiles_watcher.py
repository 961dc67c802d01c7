"""The ``FileWatcher`` port on watchfiles (inotify / FSEvents / ReadDirectoryChangesW via Rust's
notify): batches of raw changes, grouped for a few tens of milliseconds only. Debouncing and
coalescing are the ingest module's policy, not this adapter's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from watchfiles import Change, awatch

from ragmono.ports.file_watcher import FileChange, WatchEventKind

__all__ = ["WatchfilesWatcher"]

_KINDS: dict[Change, WatchEventKind] = {
    Change.added: "added",
    Change.modified: "modified",
    Change.deleted: "deleted",
}


class WatchfilesWatcher:
    """Implements ``FileWatcher``; ``force_polling`` for filesystems without notifications."""

    def __init__(
        self, *, group_ms: int = 50, force_polling: bool = False, poll_delay_ms: int = 300
    ) -> None:
        self._group_ms = group_ms
        self._force_polling = force_polling
        self._poll_delay_ms = poll_delay_ms

    async def changes(
        self, directory: Path, stop: asyncio.Event
    ) -> AsyncIterator[list[FileChange]]:
        """Batches of changes under ``directory`` until ``stop`` is set."""
        async for batch in awatch(
            directory,
            stop_event=stop,
            watch_filter=None,
            debounce=max(self._group_ms * 4, 200),
            step=self._group_ms,
            recursive=True,
            force_polling=self._force_polling,
            poll_delay_ms=self._poll_delay_ms,
            ignore_permission_denied=True,
        ):
            yield [FileChange(_KINDS[change], path) for change, path in batch]
