"""The engine worker's state: open shards and index builds. Every method runs on one thread.

Operations arrive decoded from the API process; each returns its value, or :data:`DEFERRED`
when it is answered later through ``reply`` (an index build answers when its index is in place).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qdrant_edge as qe
import structlog

from ragmono.errors import Conflict, DamagedData, DependencyUnavailable, NotFound

from . import shards
from .index_builds import (
    BUILDS_DIR,
    IndexBuild,
    WriteOp,
    apply_write,
    finish_swap,
    recover,
    start_build,
    swap_in,
)
from .protocol import (
    BuildIndex,
    BuildResult,
    CollectionState,
    Count,
    Create,
    Delete,
    DeletePoints,
    Drop,
    EngineStatus,
    EnsureIndexes,
    Failure,
    Operation,
    PauseWrites,
    ReplaceData,
    ResumeWrites,
    Scroll,
    Search,
    Stats,
    Status,
    Upsert,
    failure_of,
    filter_from_wire,
    query_from_wire,
    without_paths,
)

log = structlog.get_logger("ragmono.engine")

DEFERRED: Any = object()
"""Returned by :meth:`Engine.handle` for a call answered later through ``reply``."""
Reply = Callable[[int, Any, Failure | None], None]

UPSERT_SLICE = 64
"""Points per engine call (~10 ms at 384 d); queued searches are answered between slices."""
DEFAULT_INDEXING_THRESHOLD_KB = 10_000
"""qdrant-edge's own (measured: 7,500 KB of vectors stayed plain, 10,500 KB were indexed)."""


class Engine:
    """Shards under ``<root>/collections`` and their index builds, owned by this process."""

    def __init__(self, root: Path, *, serve_reads: Callable[[], None], reply: Reply) -> None:
        self._root = root
        self._shards_dir = root / "collections"
        self._builds_dir = root / BUILDS_DIR
        self._shards_dir.mkdir(parents=True, exist_ok=True)
        recover(self._shards_dir, self._builds_dir)
        self._shards: dict[str, qe.EdgeShard] = {}
        self._builds: dict[str, IndexBuild] = {}
        self._deleted_since_build: set[str] = set()
        self._damaged: dict[str, str] = {}
        self._serve_reads = serve_reads
        self._reply = reply
        self.writes_paused = False

    @property
    def building(self) -> bool:
        """True while an index build runs (the caller then polls :meth:`poll_builds`)."""
        return bool(self._builds)

    def _shard(self, name: str) -> qe.EdgeShard:
        shard = self._shards.get(name)
        if shard is None:
            path = self._shards_dir / name
            if not path.is_dir():
                raise NotFound(f"collection {name!r} does not exist", field="collection")
            shard = self._load(name, path)
            self._shards[name] = shard
        return shard

    def _load(self, name: str, path: Path) -> qe.EdgeShard:
        """Open a shard; one that cannot be read is recorded as damaged and named, not fatal.

        Tried again on every use, so a shard put back from a backup serves without a restart.
        """
        try:
            shard = qe.EdgeShard.load(str(path))
        except Exception as exc:
            reason = without_paths(str(exc).removeprefix("Service runtime error: "), str(path))
            if self._damaged.get(name) != reason:
                log.error("collection_damaged", collection=name, path=str(path), error=str(exc))
            self._damaged[name] = reason
            raise DamagedData(
                f"collection {name!r} cannot be read ({reason}); the other collections serve. "
                "See README, Operations: a damaged collection",
                field="collection",
            ) from None
        if self._damaged.pop(name, None) is not None:
            log.info("collection_repaired", collection=name)
        return shard

    def handle(self, call_id: int, op: Operation) -> Any:
        """Run one operation; its result, or DEFERRED."""
        match op:
            case Search(collection, query):
                return shards.search(self._shard(collection), query_from_wire(query))
            case Count(collection, flt):
                return shards.count(self._shard(collection), filter_from_wire(flt))
            case Scroll(collection, flt, limit, offset):
                page = filter_from_wire(flt)
                return shards.scroll(self._shard(collection), page, limit, offset)
            case Stats(name):
                return shards.stats(self._shard(name), self._shards_dir / name)
            case Status():
                return self.status()
            case Upsert() | Delete() | DeletePoints() | EnsureIndexes():
                self._write(op)
                return None
            case BuildIndex(collection):
                return self._build_index(call_id, collection)
            case Create(spec, threshold):
                self._create(spec.name, lambda path: shards.create_shard(path, spec, threshold))
                return None
            case Drop(name):
                self._drop(name)
                return None
            case PauseWrites():
                for shard in self._shards.values():
                    shard.flush()
                self.writes_paused = True
                return None
            case ResumeWrites():
                self.writes_paused = False
                return None
            case ReplaceData(staged):
                self._replace_data(Path(staged))
                return None
        raise ValueError(f"unexpected operation {type(op).__name__}")

    def _write(self, op: WriteOp) -> None:
        shard = self._shard(op.collection)
        if isinstance(op, Upsert):
            for start in range(0, len(op.points), UPSERT_SLICE):
                if start:
                    self._serve_reads()
                shards.upsert(shard, op.points[start : start + UPSERT_SLICE])
        else:
            apply_write(shard, op)
            if not isinstance(op, EnsureIndexes):
                self._deleted_since_build.add(op.collection)
        build = self._builds.get(op.collection)
        if build is not None:
            build.record(op)

    def _create(self, name: str, make: Callable[[Path], qe.EdgeShard]) -> None:
        if name in self._shards:
            raise Conflict(f"collection {name!r} already exists", field="name")
        path = self._shards_dir / name
        if path.exists():  # data no catalog entry records: never erase what we did not create
            raise Conflict(
                f"collection {name!r} has data on disk that no catalog entry records; it was "
                "kept (see README, Operations)",
                field="name",
            )
        try:
            self._shards[name] = make(path)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def _drop(self, name: str) -> None:
        build = self._builds.pop(name, None)
        if build is not None:
            build.discard()
            self._answer(build.waiters + build.late_waiters, NotFound(f"{name!r} was dropped"))
        shard = self._shards.pop(name, None)
        if shard is not None:
            shard.close()
        self._damaged.pop(name, None)
        shutil.rmtree(self._shards_dir / name, ignore_errors=True)

    def _replace_data(self, staged: Path) -> None:
        """Swap in ``staged/catalog.json`` and ``staged/collections/`` by rename, or roll back.

        Runs with writes paused: builds are dropped (their callers told), shards closed; they
        reopen on next use from the new directory. ``staged`` is consumed on success.
        """
        if not self.writes_paused:
            raise ValueError("replace_data needs writes paused")
        if not (staged / "collections").is_dir():
            raise ValueError(f"{staged} holds no collections/ directory to restore")
        gone = DependencyUnavailable("qdrant", "the data was replaced by a restore")
        for name, build in list(self._builds.items()):
            build.discard()
            self._answer(build.waiters + build.late_waiters, gone)
            del self._builds[name]
        self._deleted_since_build.clear()
        self._damaged.clear()
        for shard in self._shards.values():
            shard.flush()
            shard.close()
        self._shards.clear()
        old = self._root / f".replaced-{time.time_ns()}"
        old.mkdir()
        moved: list[tuple[Path, Path]] = []
        try:
            for current, new in (
                (self._shards_dir, staged / "collections"),
                (self._root / "catalog.json", staged / "catalog.json"),
            ):
                if current.exists():
                    current.replace(old / current.name)
                    moved.append((old / current.name, current))
                if new.exists():  # a backup of an empty store has no catalog.json
                    new.replace(current)
        except BaseException:
            # Put the previous data back so the engine keeps serving what it had.
            for saved, original in reversed(moved):
                if original.is_dir():
                    shutil.rmtree(original)
                elif original.exists():
                    original.unlink()
                saved.replace(original)
            self._shards_dir.mkdir(exist_ok=True)
            raise
        self._shards_dir.mkdir(exist_ok=True)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(staged, ignore_errors=True)
        log.info("engine_data_replaced")

    def status(self) -> EngineStatus:
        """Open collections (points, points not in an HNSW index yet, building or not)."""
        collections = {}
        for name, shard in self._shards.items():
            points, pending = shards.points_pending_index(shard)
            collections[name] = CollectionState(points, pending, name in self._builds)
        return EngineStatus(os.getpid(), collections, self.writes_paused, dict(self._damaged))

    # -- index builds -------------------------------------------------------------------------

    def _build_index(self, call_id: int, name: str) -> Any:
        shard = self._shard(name)
        running = self._builds.get(name)
        if running is not None:
            running.late_waiters.append(call_id)
            return DEFERRED
        return self._start_build(name, shard, [call_id])

    def _start_build(self, name: str, shard: qe.EdgeShard, waiters: list[int]) -> Any:
        if not self._needs_build(name, shard):
            return BuildResult(built=False, seconds=0.0)
        shard.flush()
        build = start_build(name, self._shards_dir / name, self._builds_dir, self._serve_reads)
        self._deleted_since_build.discard(name)
        build.waiters.extend(waiters)
        self._builds[name] = build
        return DEFERRED

    def _needs_build(self, name: str, shard: qe.EdgeShard) -> bool:
        """Enough unindexed vectors to pass the indexing threshold, or deletes to vacuum."""
        if name in self._deleted_since_build:
            return True
        _, pending = shards.points_pending_index(shard)
        config = json.loads((self._shards_dir / name / "edge_config.json").read_bytes())
        size = config["vectors"][shards.DENSE]["size"]
        threshold_kb = (config.get("optimizers") or {}).get("indexing_threshold")
        return bool(pending * size * 4 >= (threshold_kb or DEFAULT_INDEXING_THRESHOLD_KB) * 1024)

    def poll_builds(self) -> None:
        """Swap in finished builds (unless writes are paused) and report failed ones."""
        for name, build in list(self._builds.items()):
            code = build.exit_code()
            if code is None or (code == 0 and self.writes_paused):
                continue
            del self._builds[name]
            try:
                result = self._finish(name, build, code)
            except Exception as exc:
                log.error("index_build_failed", collection=name, error=str(exc))
                build.discard()
                self._answer(build.waiters + build.late_waiters, exc)
                continue
            self._answer(build.waiters, result)
            if build.late_waiters and build.logged_writes:
                self._restart_build(name, build.late_waiters)
            else:
                self._answer(build.late_waiters, result)

    def _restart_build(self, name: str, waiters: list[int]) -> None:
        """Build again for calls that came during a build, to index the writes made meanwhile."""
        try:
            outcome = self._start_build(name, self._shard(name), waiters)
        except Exception as exc:
            outcome = exc
        if outcome is not DEFERRED:
            self._answer(waiters, outcome)

    def _finish(self, name: str, build: IndexBuild, code: int) -> BuildResult:
        if code != 0:
            raise DependencyUnavailable("qdrant", f"the index builder exited with code {code}")
        result = build.result()
        if not result.built:
            build.discard()
            return result
        clock = _Stopwatch()
        shard = self._shards.pop(name)
        shard.flush()
        shard.close()
        live = self._shards_dir / name
        old = swap_in(build, live)
        close_s = clock.lap()
        new: qe.EdgeShard | None = None
        try:
            new = qe.EdgeShard.load(str(live))
            load_s = clock.lap()
            tail = build.logged(result.replayed_to)
            for op in tail:
                apply_write(new, op)
            new.flush()
        except BaseException:
            # Back to the shard that took every write; the next build starts over.
            if new is not None:
                new.close()
            shutil.rmtree(live, ignore_errors=True)
            old.rename(live)
            raise
        self._shards[name] = new
        finish_swap(build, old)
        seconds = round(time.perf_counter() - build.started, 3)
        log.info(
            "index_swapped",
            collection=name,
            seconds=seconds,
            close_s=close_s,
            load_s=load_s,
            replay_s=clock.lap(),
            logged_writes=build.logged_writes,
            tail_writes=len(tail),
        )
        return BuildResult(built=True, seconds=seconds, points=result.points)

    def _answer(self, call_ids: list[int], outcome: Any) -> None:
        for call_id in call_ids:
            if isinstance(outcome, BaseException):
                self._reply(call_id, None, failure_of(outcome))
            else:
                self._reply(call_id, outcome, None)

    def close(self) -> list[int]:
        """Stop builds, flush and close every shard; the calls still waiting on builds."""
        waiting = []
        for build in self._builds.values():
            build.discard()
            waiting += build.waiters + build.late_waiters
        self._builds.clear()
        for shard in self._shards.values():
            shard.flush()
            shard.close()
        self._shards.clear()
        return waiting


class _Stopwatch:
    """Seconds between successive laps, for the swap's log line."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        return round(elapsed, 3)
