"""The file-watcher port: changes under a directory, as the operating system reports them.

The policy (debounce, coalescing, what a change means for a collection) is the ingest
module's; an adapter only turns the OS's notifications into :class:`FileChange` batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

__all__ = ["FileChange", "FileWatcher", "WatchEventKind"]

WatchEventKind = Literal["added", "modified", "deleted"]
"""What happened to a path (a rename is ``deleted`` for the old path, ``added`` for the new)."""


class FileChange(NamedTuple):
    """One change the OS reported: ``path`` is absolute, under the watched directory."""

    kind: WatchEventKind
    path: str


class FileWatcher(Protocol):
    """Streams changes under a directory (recursively) until ``stop`` is set."""

    def changes(self, directory: Path, stop: asyncio.Event) -> AsyncIterator[list[FileChange]]:
        """Batches of changes as they come; ends when ``stop`` is set."""
        ...
