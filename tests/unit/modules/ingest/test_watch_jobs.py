"""A watch's sync jobs (#21) on twins: only the named paths are read, documents at or under a
gone path are deleted (a folder rename moves them), and files still being written are left
alone, neither read nor deleted."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from ragmono.domain import Job
from ragmono.modules.ingest.job_files import SyncPayload
from tests.support.ingest import Rig, make_collection, make_rig


async def _run(rig: Rig, payload: SyncPayload) -> Job:
    job = await rig.runner.submit("sync", "docs", payload)
    async with rig.runner.running():
        for _ in range(500):
            job = await rig.runner.get(job.id)
            if job.finished:
                return job
            await asyncio.sleep(0.01)
    raise AssertionError("job did not finish")


async def _sources(rig: Rig) -> list[str]:
    page = await rig.service.list_documents("docs", limit=100)
    return sorted(d.source for d in page.items)


async def test_named_paths_only_and_a_folder_rename_moves_its_documents(tmp_path: Path) -> None:
    root = tmp_path / "root"
    for name in ("old/a.md", "old/b.md", "keep.md"):
        (root / "w" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "w" / name).write_text(f"The text of {name}.")
    rig = make_rig(tmp_path, roots=[str(root)])
    await make_collection(rig.store, rig.embedder)
    full = await _run(rig, SyncPayload(path="w"))
    assert full.counts.created == 3
    (root / "w" / "old").rename(root / "w" / "new")
    (root / "w" / "keep.md").write_text("Changed, but not named: not read.")
    moved = await _run(rig, SyncPayload(path="w", paths=["old", "new"]))
    assert (moved.counts.created, moved.counts.deleted, moved.counts.updated) == (2, 2, 0)
    assert await _sources(rig) == ["w/keep.md", "w/new/a.md", "w/new/b.md"]


async def test_files_still_being_written_are_neither_read_nor_deleted(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "w").mkdir(parents=True)
    (root / "w" / "done.md").write_text("Finished long ago.")
    (root / "w" / "busy.md").write_text("Half of a")
    old = time.time() - 60
    os.utime(root / "w" / "done.md", (old, old))
    rig = make_rig(tmp_path, roots=[str(root)])
    await make_collection(rig.store, rig.embedder)
    job = await _run(rig, SyncPayload(path="w", settle_s=5.0))
    assert await _sources(rig) == ["w/done.md"]
    assert "1 file(s) still being written" in job.detail

    (root / "w" / "busy.md").write_text("Half of a file, now whole.")
    os.utime(root / "w" / "busy.md", (old, old))
    await _run(rig, SyncPayload(path="w", paths=["busy.md"], settle_s=5.0))
    assert await _sources(rig) == ["w/busy.md", "w/done.md"]

    (root / "w" / "busy.md").write_text("Being rewrit")  # busy again: its document stays as is
    again = await _run(rig, SyncPayload(path="w", settle_s=5.0))
    assert (again.counts.deleted, again.counts.updated) == (0, 0)
    assert await _sources(rig) == ["w/busy.md", "w/done.md"]
