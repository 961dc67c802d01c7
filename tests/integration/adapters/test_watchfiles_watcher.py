"""The watchfiles adapter on a real folder (#21): renames, folder renames and a storm of 10,000
changes in about a second, fed through the watch policy to a job runner twin."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ragmono.adapters.watchfiles_watcher import WatchfilesWatcher
from ragmono.modules.ingest import WatchPolicy
from ragmono.modules.ingest.watch_folder import FolderWatch, WatchSpec
from ragmono.ports import FileChange
from tests.support.watching import RunnerTwin, settle


async def _collect(folder: Path, act: object, seconds: float = 1.0) -> list[FileChange]:
    stop = asyncio.Event()
    seen: list[FileChange] = []

    async def listen() -> None:
        async for batch in WatchfilesWatcher().changes(folder, stop):
            seen.extend(batch)

    task = asyncio.create_task(listen())
    await asyncio.sleep(0.3)  # the OS watch is in place
    await asyncio.to_thread(act)  # type: ignore[arg-type]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 5)
    return seen


async def test_a_rename_is_a_delete_and_an_add(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.md").write_text("a")
    (tmp_path / "b.md").write_text("b")

    def act() -> None:
        (tmp_path / "b.md").rename(tmp_path / "c.md")
        (tmp_path / "d").rename(tmp_path / "e")

    seen = set(await _collect(tmp_path, act))
    assert FileChange("deleted", str(tmp_path / "b.md")) in seen
    assert FileChange("added", str(tmp_path / "c.md")) in seen
    assert FileChange("deleted", str(tmp_path / "d")) in seen
    assert FileChange("added", str(tmp_path / "e")) in seen


async def test_ten_thousand_changes_in_a_second_make_a_few_jobs(tmp_path: Path) -> None:
    for d in range(10):
        (tmp_path / f"d{d}").mkdir()
    runner = RunnerTwin(run_s=0.3)
    spec = WatchSpec(id="w", collection="c", path=str(tmp_path), directory=str(tmp_path))
    watch = FolderWatch(spec, WatchfilesWatcher(), runner, WatchPolicy(debounce_s=0.5))  # type: ignore[arg-type]
    watch.start(reconcile=False)
    await asyncio.sleep(0.3)

    def storm() -> float:
        began = time.monotonic()
        for round_ in range(5):  # 2,000 files written 5 times: 10,000 changes
            for i in range(2000):
                (tmp_path / f"d{i % 10}" / f"f{i}.md").write_text(f"round {round_}")
        return time.monotonic() - began

    took = await asyncio.to_thread(storm)
    await settle(runner, watch, timeout_s=30)
    await watch.stop()
    named = {p for payload in runner.payloads for p in payload.paths or []}
    assert {f"d{i % 10}/f{i}.md" for i in range(2000)} <= named
    assert 1 <= len(runner.payloads) <= 4, (took, [len(p.paths or []) for p in runner.payloads])
