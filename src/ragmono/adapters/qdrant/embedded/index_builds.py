"""Index builds off to the side, so the shard keeps answering while HNSW is built.

qdrant-edge's ``optimize()`` holds the GIL for the whole build (minutes at 100k points), and a
directory can be open in only one process. So the worker builds on a copy:

1. flush the live shard and copy its directory to ``.index-builds/<name>.new`` (reads are served
   during the copy; writes wait, so the copy is consistent);
2. a short-lived, low-priority builder process (``builder.py``) opens the copy and optimizes it,
   while the live shard keeps serving searches (exact on its unindexed segment) and taking
   writes, each write also appended to ``.index-builds/<name>.replay``; the builder then applies
   that log to the copy until it has caught up, and closes it;
3. swap: close the live shard, move it to ``<name>.old``, move the copy into its place, open it,
   apply the few writes logged after the builder's last read, flush, delete ``<name>.old``.

A crash at any step loses nothing: until the replay is flushed, ``<name>.old`` (the shard that
took every write, WAL included) is moved back by :func:`recover` on the next start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgspec
import qdrant_edge as qe
import structlog

from . import shards
from .protocol import (
    HEADER,
    BuildResult,
    Delete,
    DeletePoints,
    EnsureIndexes,
    SetPayload,
    Upsert,
    encoder,
    filter_from_wire,
)

log = structlog.get_logger("ragmono.engine")

BUILDS_DIR = ".index-builds"
WriteOp = Upsert | Delete | DeletePoints | SetPayload | EnsureIndexes
_write_decoder = msgspec.msgpack.Decoder(WriteOp)


@dataclass(eq=False)
class IndexBuild:
    """One collection's build in progress: the builder process and the writes since the copy."""

    collection: str
    copy_dir: Path
    log_path: Path
    proc: subprocess.Popen[bytes]
    started: float
    waiters: list[int] = field(default_factory=list)
    """Calls answered when this build is swapped in."""
    late_waiters: list[int] = field(default_factory=list)
    """Calls that arrived during this build; they need writes logged meanwhile indexed too."""
    logged_writes: int = 0
    _log: BinaryIO | None = None

    def record(self, op: WriteOp) -> None:
        """Append a write applied to the live shard since the copy (replayed by the builder)."""
        if self._log is None:
            self._log = self.log_path.open("ab", buffering=0)
        body = encoder.encode(op)
        self._log.write(HEADER.pack(len(body)) + body)  # one write: the builder reads frames
        self.logged_writes += 1

    def logged(self, offset: int) -> list[WriteOp]:
        """The recorded writes from byte ``offset`` on, in order."""
        return read_log(self.log_path, offset)[0]

    def exit_code(self) -> int | None:
        """The builder's exit code, or None while it runs."""
        return self.proc.poll()

    def result(self) -> BuildResult:
        """What the builder reported on stdout (call once it exited with 0)."""
        out = self.proc.stdout.read() if self.proc.stdout else b""
        return msgspec.json.decode(out.strip().splitlines()[-1], type=BuildResult)

    def discard(self) -> None:
        """Stop the builder if it runs and remove the copy and the log."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.copy_dir, ignore_errors=True)
        self.log_path.unlink(missing_ok=True)


def start_build(
    collection: str, shard_dir: Path, builds_dir: Path, serve_reads: Callable[[], None]
) -> IndexBuild:
    """Copy a flushed, quiescent shard directory and start the builder on the copy.

    The caller flushes the shard and holds writes until this returns; ``serve_reads`` is
    called while the copy runs so searches are answered meanwhile.
    """
    builds_dir.mkdir(parents=True, exist_ok=True)
    copy_dir = builds_dir / f"{collection}.new"
    log_path = builds_dir / f"{collection}.replay"
    shutil.rmtree(copy_dir, ignore_errors=True)
    log_path.unlink(missing_ok=True)
    log_path.touch()
    # cp keeps the engine's sparse preallocated files sparse; it runs while reads are served.
    copier = subprocess.Popen(["cp", "-a", str(shard_dir), str(copy_dir)])  # noqa: S603, S607
    while copier.poll() is None:
        serve_reads()
        time.sleep(0.005)
    if copier.returncode != 0:
        shutil.rmtree(copy_dir, ignore_errors=True)
        raise RuntimeError(f"copying {shard_dir} for an index build failed ({copier.returncode})")
    builder_args = [str(copy_dir), str(log_path), str(os.getpid())]
    proc = subprocess.Popen(  # noqa: S603  # our own module, paths we made
        [sys.executable, "-m", "ragmono.adapters.qdrant.embedded.builder", *builder_args],
        stdout=subprocess.PIPE,
    )
    log.info("index_build_started", collection=collection, builder_pid=proc.pid)
    return IndexBuild(collection, copy_dir, log_path, proc, time.perf_counter())


def read_log(path: Path, offset: int) -> tuple[list[WriteOp], int]:
    """Whole frames from ``offset`` to the end (a frame still being written is left for later)."""
    ops: list[WriteOp] = []
    with path.open("rb") as fh:
        fh.seek(offset)
        while len(header := fh.read(HEADER.size)) == HEADER.size:
            (size,) = HEADER.unpack(header)
            body = fh.read(size)
            if len(body) < size:
                break
            ops.append(_write_decoder.decode(body))
            offset += HEADER.size + size
    return ops, offset


def apply_write(shard: qe.EdgeShard, op: WriteOp) -> None:
    """Apply one logged write to a shard."""
    if isinstance(op, Upsert):
        shards.upsert(shard, op.points)
    elif isinstance(op, Delete):
        flt = filter_from_wire(op.filter)
        if flt is None:
            raise ValueError("a delete needs a filter")
        shards.delete(shard, flt)
    elif isinstance(op, SetPayload):
        flt = filter_from_wire(op.filter)
        if flt is None:
            raise ValueError("setting a payload needs a filter")
        shards.set_payload(shard, flt, op.payload)
    elif isinstance(op, EnsureIndexes):
        shards.ensure_payload_indexes(shard)
    else:
        shards.delete_points(shard, op.ids)


def swap_in(build: IndexBuild, shard_dir: Path) -> Path:
    """Put the built copy in place of the (closed) live shard; returns where the old one went."""
    old = build.copy_dir.with_name(f"{build.collection}.old")
    shutil.rmtree(old, ignore_errors=True)
    shard_dir.rename(old)
    try:
        build.copy_dir.rename(shard_dir)
    except BaseException:
        old.rename(shard_dir)
        raise
    return old


def finish_swap(build: IndexBuild, old: Path) -> None:
    """The new shard holds every write (replayed and flushed): drop the old one and the log."""
    # Renamed first: recover() restores only *.old, never a half-deleted directory.
    trash = old.with_name(f"{build.collection}.trash")
    old.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)
    build.discard()


def recover(shards_dir: Path, builds_dir: Path) -> None:
    """After a crash: put back any shard a swap had moved aside, then drop unfinished builds."""
    if not builds_dir.exists():
        return
    for old in builds_dir.glob("*.old"):
        name = old.name.removesuffix(".old")
        live = shards_dir / name
        if live.exists():  # the copy was in place but its replay may not have finished
            shutil.rmtree(live)
        old.rename(live)
        log.warning("index_swap_rolled_back", collection=name)
    shutil.rmtree(builds_dir, ignore_errors=True)
