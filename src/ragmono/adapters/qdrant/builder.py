"""The index builder: a short-lived process that optimizes a copy of one shard.

``python -m ragmono.adapters.qdrant.builder <shard copy> <worker pid>``: opens the copy, runs
``optimize()`` (HNSW build, vacuum, merges), closes it and prints a JSON :class:`BuildResult`.
It runs at low CPU priority and dies with the worker that started it.
"""

from __future__ import annotations

import os
import sys
import time

import msgspec
import qdrant_edge as qe

from .lifecycle import die_with_parent
from .protocol import BuildResult
from .shards import points_pending_index

NICENESS = 10
"""Below the API process and the worker, so probes and searches get the CPU first."""


def main(argv: list[str]) -> int:
    """Build the index of the shard copy at ``argv[0]``; exit 0 with the result on stdout."""
    path, parent = argv[0], int(argv[1])
    die_with_parent(parent)
    os.nice(NICENESS)
    started = time.perf_counter()
    shard = qe.EdgeShard.load(path)
    try:
        built = shard.optimize()
        points, _ = points_pending_index(shard)
        shard.flush()
    finally:
        shard.close()
    seconds = round(time.perf_counter() - started, 3)
    result = BuildResult(built=built, seconds=seconds, points=points)
    sys.stdout.buffer.write(msgspec.json.encode(result) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
