"""The index builder: a short-lived process that optimizes a copy of one shard.

``python -m ragmono.adapters.qdrant.embedded.builder <shard copy> <replay log> <worker pid>``:
opens the copy, runs ``optimize()`` (HNSW build, vacuum, merges), then applies the writes the worker
logged meanwhile until it has caught up, closes the copy and prints a JSON
:class:`BuildResult`. It runs at low CPU priority and dies with the worker that started it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import msgspec
import qdrant_edge as qe

from .index_builds import apply_write, read_log
from .lifecycle import die_with_parent
from .protocol import BuildResult
from .shards import points_pending_index

NICENESS = 10
"""Below the API process and the worker, so probes and searches get the CPU first."""
CATCH_UP_S = 30.0
"""Longest the builder chases a write stream; the worker applies what is left at the swap."""


def main(argv: list[str]) -> int:
    """Build the index of the shard copy at ``argv[0]``; exit 0 with the result on stdout."""
    path, log_path, parent = argv[0], Path(argv[1]), int(argv[2])
    die_with_parent(parent)
    os.nice(NICENESS)
    started = time.perf_counter()
    shard = qe.EdgeShard.load(path)
    try:
        built = shard.optimize()
        replayed_to = _catch_up(shard, log_path) if built else 0
        points, _ = points_pending_index(shard)
        shard.flush()
    finally:
        shard.close()
    seconds = round(time.perf_counter() - started, 3)
    result = BuildResult(built=built, seconds=seconds, points=points, replayed_to=replayed_to)
    sys.stdout.buffer.write(msgspec.json.encode(result) + b"\n")
    return 0


def _catch_up(shard: qe.EdgeShard, log_path: Path) -> int:
    """Apply the live shard's writes since the copy, round after round until none are new."""
    offset, deadline = 0, time.monotonic() + CATCH_UP_S
    while time.monotonic() < deadline:
        ops, offset_after = read_log(log_path, offset)
        if not ops:
            break
        for op in ops:
            apply_write(shard, op)
        offset = offset_after
    return offset


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
