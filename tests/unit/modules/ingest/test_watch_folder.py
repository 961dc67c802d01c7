"""The watch policy (#21) with a scripted watcher and a job runner twin: storms coalesce into a
few jobs, remembered paths stay bounded, files still being written wait, a failed submit loses
nothing, and the lag is observed per path."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ragmono.adapters.telemetry_memory import RecordingTelemetry
from ragmono.modules.ingest import WatchPolicy
from ragmono.modules.ingest.watch_folder import FolderWatch, WatchSpec
from ragmono.ports import FileChange
from tests.support.watching import RunnerTwin, settle


class ScriptedWatcher:
    """Hands out the batches put on its queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[list[FileChange]] = asyncio.Queue()

    async def changes(
        self, directory: Path, stop: asyncio.Event
    ) -> AsyncIterator[list[FileChange]]:
        while not stop.is_set():
            yield await self.queue.get()


def _watch(
    folder: Path, runner: RunnerTwin, policy: WatchPolicy, telemetry: Any = None
) -> tuple[FolderWatch, ScriptedWatcher]:
    spec = WatchSpec(id="w", collection="c", path=str(folder), directory=str(folder))
    watcher = ScriptedWatcher()
    watch = FolderWatch(spec, watcher, runner, policy, telemetry)  # type: ignore[arg-type]
    return watch, watcher


async def test_ten_thousand_events_in_a_second_make_a_few_jobs(tmp_path: Path) -> None:
    runner = RunnerTwin(run_s=0.3)
    telemetry = RecordingTelemetry()
    watch, watcher = _watch(tmp_path, runner, WatchPolicy(debounce_s=0.2), telemetry)
    watch.start(reconcile=False)
    start = time.monotonic()
    for i in range(100):  # 100 batches of 100 events over ~1 s: 2,000 files changed 5 times
        batch = [
            FileChange("modified", str(tmp_path / f"d{j % 10}" / f"f{(i * 100 + j) % 2000}.md"))
            for j in range(100)
        ]
        await watcher.queue.put(batch)
        await asyncio.sleep(0.01)
    assert time.monotonic() - start < 2.5
    await settle(runner, watch)
    await watch.stop()

    # One job at a time, each taking every path due: jobs <= storm time / job time, + 1.
    assert 1 <= len(runner.payloads) <= 8, [len(p.paths or []) for p in runner.payloads]
    named = [p for payload in runner.payloads for p in payload.paths or []]
    assert {f"d{j % 10}/f{n}.md" for n in range(2000) for j in [n % 100]} <= set(named)
    counted = sum(c["count"] for c in telemetry.of("count_watch_events"))
    assert counted == 10_000
    assert len(telemetry.of("observe_watch_lag")) == len(named)


async def test_a_storm_past_max_pending_becomes_one_rescan(tmp_path: Path) -> None:
    runner = RunnerTwin()
    watch, watcher = _watch(tmp_path, runner, WatchPolicy(debounce_s=0.2, max_pending=100))
    watch.start(reconcile=False)
    for i in range(10):
        await watcher.queue.put(
            [FileChange("added", str(tmp_path / f"f{i * 100 + j}.md")) for j in range(100)]
        )
        await asyncio.sleep(0)
        assert watch.pending <= 100
    await settle(runner, watch)
    await watch.stop()
    assert runner.payloads[0].paths is None  # the rescan: the whole folder


async def test_a_file_still_being_written_waits_until_it_settles(tmp_path: Path) -> None:
    runner = RunnerTwin()
    watch, watcher = _watch(tmp_path, runner, WatchPolicy(debounce_s=0.3))
    file = tmp_path / "big.md"
    file.write_text("start")
    watch.start(reconcile=False)
    await watcher.queue.put([FileChange("added", str(file))])
    for _ in range(8):  # modified (mtime moves) but no event seen: still being written
        await asyncio.sleep(0.1)
        os.utime(file)
    assert runner.payloads == []
    await settle(runner, watch)
    await watch.stop()
    assert [p.paths for p in runner.payloads] == [["big.md"]]
    assert runner.payloads[0].settle_s == pytest.approx(0.3)


async def test_a_failed_submit_keeps_the_paths_for_the_next_try(tmp_path: Path) -> None:
    runner = RunnerTwin(fail_next=1)
    watch, watcher = _watch(tmp_path, runner, WatchPolicy(debounce_s=0.1))
    watch.start(reconcile=False)
    await watcher.queue.put([FileChange("deleted", str(tmp_path / "gone.md"))])
    await settle(runner, watch)
    await watch.stop()
    assert [p.paths for p in runner.payloads] == [["gone.md"]]


async def test_dot_files_unsupported_types_and_ignored_globs_make_no_job(tmp_path: Path) -> None:
    runner = RunnerTwin()
    spec = WatchSpec(
        id="w", collection="c", path=str(tmp_path), directory=str(tmp_path), ignore=("tmp/*",)
    )
    watcher = ScriptedWatcher()
    watch = FolderWatch(spec, watcher, runner, WatchPolicy(debounce_s=0.1))  # type: ignore[arg-type]
    for name in (".git/index", "a.png", "tmp/x.md", "keep.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    watch.start(reconcile=False)
    await watcher.queue.put(
        [FileChange("modified", str(tmp_path / n)) for n in (".git/index", "a.png", "tmp/x.md")]
        + [FileChange("modified", str(tmp_path / "keep.md")), FileChange("added", "/elsewhere")]
    )
    await settle(runner, watch)
    await watch.stop()
    assert [p.paths for p in runner.payloads] == [["keep.md"]]
