"""Watched folders: the ones from settings and the ones added at run time, kept across restarts.

Watches added through the API are saved in the :class:`~ragmono.ports.WatchBook` (a file in
the data directory; a Redis hash when replicas share Redis); those from ``[[ingest.watch]]``
come from settings on every start and cannot be removed at run time. A replica runs a watch
only while it holds the watch's lease (:class:`~ragmono.ports.LeaseStore`), renewed every third
of ``lease_s``: with several replicas, one follows each folder, and when it dies another takes
the watch over once the lease expires. Whoever starts a watch first reconciles the folder with
its collection (one sync job, by path and content hash: unchanged files cost no embedding),
then follows its changes (:class:`FolderWatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import msgspec
import structlog

from ragmono.errors import Conflict, NotFound, RagmonoError
from ragmono.ports import FileWatcher, LeaseStore, Telemetry, WatchBook

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
    """Adds, lists and removes watches; runs those whose lease this replica holds."""

    def __init__(
        self,
        runner: JobRunner,
        watcher: FileWatcher,
        open_collection: Callable[[str], Awaitable[object]],
        book: WatchBook,
        leases: LeaseStore,
        *,
        allowed_roots: Sequence[str],
        policy: WatchPolicy,
        configured: Sequence[WatchEntry] = (),
        lease_s: float = 15.0,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._runner = runner
        self._watcher = watcher
        self._open_collection = open_collection
        self._book = book
        self._leases = leases
        self._allowed_roots = list(allowed_roots)
        self._policy = policy
        self._configured = list(configured)
        self._lease_s = lease_s
        self._telemetry = telemetry
        self._owner = uuid.uuid4().hex
        self._watches: dict[str, FolderWatch] = {}
        self._held_until: dict[str, float] = {}
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
            await self._book.put(spec.id, msgspec.json.encode(entry))
            watch = self._watch(spec)
            if self._running:
                await self._claim(watch)
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
            await self._book.delete(watch_id)
            await self._drop(watch)
        log.info("watch_removed", watch=watch_id, collection=collection)

    # -- lifecycle -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WatchService]:
        """Take the watches' leases and follow their folders; stop and release them on exit."""
        for entry in self._configured:
            await self._adopt(entry, "settings")
        with contextlib.suppress(RagmonoError, OSError, ValueError):
            await self._refresh()  # an unreadable book is logged there and read again later
        self._running = True
        try:
            await self._claim_all()
        except RagmonoError as exc:  # Redis down at start: the supervisor tries again
            log.warning("watch_leases_unavailable", error=exc.detail)
        task = asyncio.create_task(self._supervise(), name="watch-leases")
        try:
            yield self
        finally:
            self._running = False
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await asyncio.gather(*(self._drop(w, forget=False) for w in self._watches.values()))

    async def _supervise(self) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            try:
                async with self._lock:
                    await self._refresh()
            except (RagmonoError, OSError, ValueError):
                pass  # logged; the watches known so far go on
            try:
                await self._claim_all()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down: keep what is held until its lease runs out
                log.warning("watch_leases_unavailable", error=str(exc))
                await self._expire()

    async def _refresh(self) -> None:
        """Follow the book: watches added or removed through another replica."""
        try:
            saved = await self._book.entries()
        except (RagmonoError, OSError, ValueError) as exc:
            log.error("watch_book_unreadable", error=str(exc))
            raise
        for watch_id, raw in saved.items():
            if watch_id not in self._watches:
                try:
                    entry = msgspec.json.decode(raw, type=WatchEntry)
                except msgspec.DecodeError as exc:
                    log.error("watch_entry_unreadable", watch=watch_id, error=str(exc))
                    continue
                await self._adopt(entry, "api")
        for watch in list(self._watches.values()):
            if watch.spec.origin == "api" and watch.spec.id not in saved:
                await self._drop(watch)

    async def _adopt(self, entry: WatchEntry, origin: str) -> None:
        try:
            await self._open_collection(entry.collection)
            spec = self._spec(entry, origin)
        except RagmonoError as exc:  # one bad watch must not stop the server
            log.error("watch_not_started", path=entry.path, error=exc.detail)
            return
        if spec.id not in self._watches:
            self._watch(spec)

    async def _claim_all(self) -> None:
        for watch in list(self._watches.values()):
            await self._claim(watch)

    async def _claim(self, watch: FolderWatch) -> None:
        """Take or renew the watch's lease; start or stop following its folder to match."""
        name = f"watch:{watch.spec.id}"
        if await self._leases.hold(name, self._owner, self._lease_s):
            self._held_until[watch.spec.id] = time.monotonic() + self._lease_s
            if not watch.running and self._running:
                watch.start(reconcile=True)
        elif watch.running:
            log.warning("watch_lease_lost", watch=watch.spec.id)
            await watch.stop()

    async def _expire(self) -> None:
        now = time.monotonic()
        for watch in self._watches.values():
            if watch.running and self._held_until.get(watch.spec.id, 0.0) < now:
                log.warning("watch_lease_expired", watch=watch.spec.id)
                await watch.stop()

    async def _drop(self, watch: FolderWatch, *, forget: bool = True) -> None:
        if forget:
            self._watches.pop(watch.spec.id, None)
        if watch.running:
            await watch.stop()
        if self._held_until.pop(watch.spec.id, None) is not None:
            with contextlib.suppress(RagmonoError):
                await self._leases.release(f"watch:{watch.spec.id}", self._owner)
        self._report_pending()

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
