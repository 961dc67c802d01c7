"""Watched folders: the ones from settings and the ones added at run time, kept across restarts.

Watches added through the API are saved in ``<data_dir>/watches.json`` (rewritten atomically);
those from ``[[ingest.watch]]`` come from settings on every start and cannot be removed at run
time. On start every watch is reconciled first: one sync job mirrors the folder into its
collection (by path and content hash, so unchanged files cost no embedding), then changes are
followed as they happen (:class:`FolderWatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import msgspec
import structlog

from ragmono.errors import Conflict, NotFound
from ragmono.ports import FileWatcher, Telemetry

from .jobs import JobRunner
from .sync import resolve
from .watch_folder import FolderWatch, WatchPolicy, WatchSpec

__all__ = ["WatchEntry", "WatchService"]

log = structlog.get_logger("ragmono.ingest.watch")

FIELD = "body.path"


class WatchEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A watch as saved (and as settings give it): the folder as written, not resolved."""

    collection: str
    path: str
    patterns: list[str] = msgspec.field(default_factory=list)
    ignore: list[str] = msgspec.field(default_factory=list)


class WatchService:
    """Adds, lists and removes watches; runs each while the app runs."""

    def __init__(
        self,
        runner: JobRunner,
        watcher: FileWatcher,
        open_collection: Callable[[str], Awaitable[object]],
        *,
        allowed_roots: Sequence[str],
        policy: WatchPolicy,
        configured: Sequence[WatchEntry] = (),
        book: Path | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._runner = runner
        self._watcher = watcher
        self._open_collection = open_collection
        self._allowed_roots = list(allowed_roots)
        self._policy = policy
        self._configured = list(configured)
        self._book = book
        self._telemetry = telemetry
        self._watches: dict[str, FolderWatch] = {}
        self._lock = asyncio.Lock()
        self._running = False

    # -- the API ---------------------------------------------------------------------------------

    async def add(
        self,
        collection: str,
        path: str,
        *,
        patterns: Sequence[str] = (),
        ignore: Sequence[str] = (),
    ) -> FolderWatch:
        """Watch ``path`` for ``collection`` from now on (saved); the folder is synced first.

        404 for a missing collection, 403/422 for a path outside the allowed roots or not a
        folder, 409 when the collection already watches that folder.
        """
        await self._open_collection(collection)
        entry = WatchEntry(
            collection=collection, path=path, patterns=list(patterns), ignore=list(ignore)
        )
        spec = self._spec(entry, "api")
        async with self._lock:
            if spec.id in self._watches:
                raise Conflict(
                    f"collection {collection!r} already watches {spec.directory}", field=FIELD
                )
            watch = self._watch(spec)
            await asyncio.to_thread(self._save)
            if self._running:
                watch.start(reconcile=True)
        log.info("watch_added", watch=spec.id, collection=collection, directory=spec.directory)
        return watch

    def list(self, collection: str | None = None) -> list[FolderWatch]:
        """The watches (of one collection, or all), by folder."""
        found = [w for w in self._watches.values() if collection in (None, w.spec.collection)]
        return sorted(found, key=lambda w: (w.spec.collection, w.spec.directory))

    async def remove(self, collection: str, watch_id: str) -> None:
        """Stop watching (404 if unknown, 409 for a watch from settings); documents stay."""
        async with self._lock:
            watch = self._watches.get(watch_id)
            if watch is None or watch.spec.collection != collection:
                raise NotFound(
                    f"collection {collection!r} has no watch {watch_id!r}", field="watch_id"
                )
            if watch.spec.origin == "settings":
                raise Conflict(
                    f"watch {watch_id!r} comes from [[ingest.watch]] in the settings; remove it "
                    "there",
                    field="watch_id",
                )
            del self._watches[watch_id]
            await asyncio.to_thread(self._save)
        await watch.stop()
        self._report_pending()
        log.info("watch_removed", watch=watch_id, collection=collection)

    # -- lifecycle -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WatchService]:
        """Start every watch (settings first, then saved ones), each reconciled; stop on exit."""
        for entry, origin in [
            *((e, "settings") for e in self._configured),
            *((e, "api") for e in await asyncio.to_thread(self._load)),
        ]:
            try:
                await self._open_collection(entry.collection)
                spec = self._spec(entry, origin)
            except Exception as exc:  # one bad watch must not stop the server
                detail = getattr(exc, "detail", str(exc))
                log.error("watch_not_started", path=entry.path, error=detail)
                continue
            if spec.id not in self._watches:
                self._watch(spec)
        self._running = True
        for watch in self._watches.values():
            watch.start(reconcile=True)
        try:
            yield self
        finally:
            self._running = False
            await asyncio.gather(*(w.stop() for w in self._watches.values()))

    # -- helpers ---------------------------------------------------------------------------------

    def _spec(self, entry: WatchEntry, origin: str) -> WatchSpec:
        target = resolve(entry.path, self._allowed_roots)
        directory = str(target.directory)
        digest = hashlib.sha256(f"{entry.collection}\0{directory}".encode()).hexdigest()[:16]
        return WatchSpec(
            id=digest,
            collection=entry.collection,
            path=entry.path,
            directory=directory,
            patterns=tuple(entry.patterns),
            ignore=tuple(entry.ignore),
            origin=origin,
        )

    def _watch(self, spec: WatchSpec) -> FolderWatch:
        watch = FolderWatch(
            spec,
            self._watcher,
            self._runner,
            self._policy,
            self._telemetry,
            on_pending=self._report_pending,
        )
        self._watches[spec.id] = watch
        return watch

    def _report_pending(self) -> None:
        if self._telemetry is not None:
            self._telemetry.set_watch_pending(sum(w.pending for w in self._watches.values()))

    def _load(self) -> Sequence[WatchEntry]:
        if self._book is None or not self._book.exists():
            return []
        try:
            entries: Sequence[WatchEntry] = msgspec.json.decode(
                self._book.read_bytes(), type=tuple[WatchEntry, ...]
            )
            return entries
        except (OSError, msgspec.DecodeError) as exc:
            log.error("watch_book_unreadable", path=str(self._book), error=str(exc))
            return []

    def _save(self) -> None:
        if self._book is None:
            return
        entries = [
            WatchEntry(
                collection=w.spec.collection,
                path=w.spec.path,
                patterns=list(w.spec.patterns),
                ignore=list(w.spec.ignore),
            )
            for w in self.list()
            if w.spec.origin == "api"
        ]
        self._book.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._book.with_name(self._book.name + ".tmp")
        with tmp.open("wb") as fh:
            fh.write(msgspec.json.format(msgspec.json.encode(entries)))
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self._book)
