"""One watched folder: the OS's changes debounced and coalesced into sync jobs.

Each changed path (relative to the folder) is remembered with the time of its last change; a
path is due once it has been quiet for ``debounce_s`` and its file's mtime is that old too (a
file still being written keeps changing, so it waits). Every due path goes into ONE sync job
naming just those paths, and no next job is submitted while that one is queued or running:
changes meanwhile pile up (deduplicated by path) and become the next job. So a storm of events
makes a few jobs, whatever its rate. A rename arrives as a delete of the old path and an add of
the new one, both in the same job: the old document goes and the new one comes in one step.
Past ``max_pending`` remembered paths the folder is rescanned instead (memory stays flat).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import structlog

from ragmono.errors import RagmonoError
from ragmono.ports import FileChange, FileWatcher, Telemetry, WatchEventKind

from .job_files import SyncPayload
from .jobs import JobRunner
from .parsing import supported
from .sync import selector

__all__ = ["FolderWatch", "WatchPolicy", "WatchSpec"]

log = structlog.get_logger("ragmono.ingest.watch")


@dataclass(frozen=True, slots=True)
class WatchPolicy:
    """How changes become jobs."""

    debounce_s: float = 1.0
    """A path is ingested once it had no change for this long."""
    max_pending: int = 100_000
    """Paths remembered per watch; past this, one rescan of the whole folder."""


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """A folder watched for a collection; ``directory`` is resolved inside an allowed root."""

    id: str
    collection: str
    path: str
    directory: str
    patterns: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    origin: str = "api"
    """``settings`` (from ``[[ingest.watch]]``) or ``api`` (added at run time)."""


@dataclass(slots=True)
class _InFlight:
    job_id: str
    settled: dict[str, float] = field(default_factory=dict)
    """Each path in the job and when it last changed (monotonic)."""
    rescan_at: float | None = None
    """A rescan: when it was submitted (unix time)."""


class FolderWatch:
    """Watches one folder and feeds its changes to the job runner."""

    def __init__(
        self,
        spec: WatchSpec,
        watcher: FileWatcher,
        runner: JobRunner,
        policy: WatchPolicy,
        telemetry: Telemetry | None = None,
        *,
        on_pending: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spec = spec
        self._watcher = watcher
        self._runner = runner
        self._policy = policy
        self._telemetry = telemetry
        self._on_pending = on_pending
        self._clock = clock
        self._accept = selector(spec.patterns, spec.ignore)
        self._pending: dict[str, float] = {}
        self._rescan = False
        self._in_flight: _InFlight | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.last_job_id: str | None = None
        self._tick = min(0.1, policy.debounce_s / 4)

    @property
    def running(self) -> bool:
        """Whether this process is following the folder now (it holds the watch's lease)."""
        return bool(self._tasks)

    @property
    def pending(self) -> int:
        """Changed paths not yet searchable: waiting, or in the running job."""
        flight = len(self._in_flight.settled) if self._in_flight else 0
        return len(self._pending) + flight

    def start(self, *, reconcile: bool = True) -> None:
        """Start listening; with ``reconcile``, first mirror the whole folder (one sync job)."""
        self._rescan = reconcile
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self._listen(), name=f"watch-listen-{self.spec.id}"),
            asyncio.create_task(self._pump(), name=f"watch-pump-{self.spec.id}"),
        ]
        log.info("watch_started", watch=self.spec.id, directory=self.spec.directory)

    async def stop(self) -> None:
        """Stop listening; a job already submitted runs on (and resumes after a restart)."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._pending.clear()
        self._in_flight = None
        log.info("watch_stopped", watch=self.spec.id)

    # -- events ----------------------------------------------------------------------------------

    async def _listen(self) -> None:
        directory = Path(self.spec.directory)
        while not self._stop.is_set():
            try:
                async for batch in self._watcher.changes(directory, self._stop):
                    self._take(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the folder vanished, too many watches, ...
                log.warning("watch_listen_failed", watch=self.spec.id, error=str(exc))
                self._rescan = True  # whatever was missed is found by a rescan
                await asyncio.sleep(max(1.0, self._policy.debounce_s))

    def _take(self, batch: Sequence[FileChange]) -> None:
        now = self._clock()
        kinds: Counter[WatchEventKind] = Counter()
        for kind, path in batch:
            kinds[kind] += 1
            rel = self._relative(path, kind)
            if rel is None or self._rescan:
                continue
            if rel not in self._pending and len(self._pending) >= self._policy.max_pending:
                log.warning("watch_storm_rescan", watch=self.spec.id, pending=len(self._pending))
                self._pending.clear()
                self._rescan = True
                continue
            self._pending[rel] = now
        if self._telemetry is not None:
            for kind, count in kinds.items():
                self._telemetry.count_watch_events(kind, count)
        self._on_pending()

    def _relative(self, path: str, kind: WatchEventKind) -> str | None:
        """The path relative to the folder, or None when no document can depend on it."""
        try:
            rel = PurePosixPath(Path(path).relative_to(self.spec.directory).as_posix())
        except ValueError:
            return None
        if not rel.parts or rel.parts == (".",) or any(p.startswith(".") for p in rel.parts):
            return None
        wanted = supported(rel.name) and self._accept(str(rel))
        if not wanted and kind != "deleted" and Path(path).is_file():
            return None
        return str(rel)

    # -- jobs ------------------------------------------------------------------------------------

    async def _pump(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self._tick)
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except RagmonoError as exc:  # the collection was dropped, the disk is full, ...
                log.warning("watch_submit_failed", watch=self.spec.id, error=exc.detail)
                await asyncio.sleep(max(1.0, self._policy.debounce_s))
            except Exception:
                log.exception("watch_pump_error", watch=self.spec.id)
                await asyncio.sleep(max(1.0, self._policy.debounce_s))

    async def _step(self) -> None:
        if self._in_flight is not None and not await self._finished(self._in_flight):
            return
        if self._rescan:
            self._rescan = False
            self._pending.clear()
            await self._submit(None, {})
            return
        due = await self._due()
        if due:
            await self._submit(sorted(due), due)

    async def _due(self) -> dict[str, float]:
        now = self._clock()
        quiet = self._policy.debounce_s
        due = {rel: t for rel, t in self._pending.items() if now - t >= quiet}
        if not due:
            return {}
        busy = await asyncio.to_thread(self._still_written, list(due), quiet)
        for rel in busy:  # modified lately without an event we saw: wait for it to settle
            self._pending[rel] = now
            del due[rel]
        return due

    def _still_written(self, rels: list[str], quiet: float) -> list[str]:
        now = time.time()
        busy = []
        for rel in rels:
            try:
                mtime = (Path(self.spec.directory) / rel).stat().st_mtime
            except OSError:
                continue  # gone: a delete, due now
            if now - mtime < quiet:
                busy.append(rel)
        return busy

    def _modified_since(self, since: float) -> list[str]:
        """Files under the folder modified after ``since`` (unix time), relative to it."""
        top = Path(self.spec.directory)
        found = []
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                path = Path(dirpath) / name
                try:
                    recent = path.stat().st_mtime > since
                except OSError:
                    continue
                if recent and not name.startswith("."):
                    rel = self._relative(str(path), "modified")
                    if rel is not None:
                        found.append(rel)
        return found

    async def _submit(self, paths: list[str] | None, settled: dict[str, float]) -> None:
        payload = SyncPayload(
            path=self.spec.directory,
            paths=paths,
            patterns=list(self.spec.patterns),
            ignore=list(self.spec.ignore),
            settle_s=self._policy.debounce_s,
        )
        submitted_at = time.time()
        job = await self._runner.submit("sync", self.spec.collection, payload)
        for rel, changed_at in settled.items():  # kept if it changed again meanwhile
            if self._pending.get(rel) == changed_at:
                del self._pending[rel]
        self._in_flight = _InFlight(job.id, settled, submitted_at if paths is None else None)
        self.last_job_id = job.id
        log.info(
            "watch_job_submitted",
            watch=self.spec.id,
            job_id=job.id,
            paths="all" if paths is None else len(paths),
        )
        self._on_pending()

    async def _finished(self, flight: _InFlight) -> bool:
        with contextlib.suppress(RagmonoError):
            job = await self._runner.get(flight.job_id)
            if not job.finished:
                return False
            if job.state != "succeeded":
                log.warning("watch_job_ended", watch=self.spec.id, job_id=job.id, state=job.state)
        now = self._clock()
        if self._telemetry is not None:
            for changed_at in flight.settled.values():
                self._telemetry.observe_watch_lag(max(now - changed_at, 0.0))
        if flight.rescan_at is not None:  # files the rescan left as still being written
            since = flight.rescan_at - self._policy.debounce_s
            for rel in await asyncio.to_thread(self._modified_since, since):
                self._pending.setdefault(rel, now)
        self._in_flight = None
        self._on_pending()
        return True
