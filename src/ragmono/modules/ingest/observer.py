"""What a write reports to, and how a cancel reaches into a document being embedded.

A job's cancel is a flag the observer reads (:meth:`WriteObserver.should_stop`). The writer
asks before each document and each embedding batch, and while a batch is being embedded it
asks every :data:`STOP_POLL_S`, cancelling the batch when the answer is yes: a cancel is
honoured within about a second even inside a document of thousands of chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from .documents import DocumentResult

__all__ = ["STOP_POLL_S", "WriteObserver", "unless_stopped"]

STOP_POLL_S = 0.25
"""How often a batch being embedded checks for a cancel."""

_T = TypeVar("_T")


class WriteObserver(Protocol):
    """Receives progress from ``DocumentWriter.write`` (the job runner implements it)."""

    async def planned(self, position: int, chunks: int) -> None:
        """The item at ``position`` was chunked into ``chunks`` chunks to write."""
        ...

    async def written(self, chunks: int) -> None:
        """``chunks`` more chunks are stored."""
        ...

    async def document_done(self, position: int, result: DocumentResult) -> None:
        """The item at ``position`` of the input stream is finished."""
        ...

    async def should_stop(self) -> bool:
        """Whether to stop now (a cancel): between documents, batches, or inside a batch."""
        ...


async def unless_stopped(work: Awaitable[_T], observer: WriteObserver | None) -> _T | None:
    """``work``'s result, or None when the observer asks to stop first (``work`` is cancelled).

    Work that ends (or fails) on its own is answered as it ended.
    """
    task = asyncio.ensure_future(work)
    if observer is None:
        return await task
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=STOP_POLL_S)
            if done:
                return task.result()
            if await observer.should_stop():
                return None
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
