"""Watched folders: time from a file change settling to it being searchable (or gone).

    .venv/bin/python -m benchmarks.watch_latency [--edits 20] [--burst 500] [--debounce 1.0]

A ``ragmono serve`` process (granian, embedded Qdrant, the local embedder) watches a temp
folder under ``ingest.allowed_roots``. Single edits: one file is rewritten with a new unique
word, and the clock runs from the write to the first keyword search that finds it (each
edit waits for the previous one). Deletes: the same for a removed file until its word is gone.
Burst: ``--burst`` small files written as fast as Python can, the clock from the last write to
the moment every one of them is listed; then the same number deleted. The debounce is part of
every figure (a change is ingested once quiet that long). Prints p50/p95 with the load average
(2 shared cores: figures move with it) and writes ``benchmarks/results/watch-latency.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.timing import nearest_rank
from tests.support.watching import (
    add_watch,
    create_collection,
    hits,
    sources,
    wait_for,
    watch_idle,
    watched_server,
    write,
)

RESULTS = Path(__file__).resolve().parent / "results" / "watch-latency.json"


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_s": round(nearest_rank(ordered, 50), 3),
        "p95_s": round(nearest_rank(ordered, 95), 3),
        "max_s": round(ordered[-1], 3),
    }


def _edits(http: httpx.Client, folder: Path, count: int) -> tuple[list[float], list[float]]:
    changed, deleted = [], []
    for i in range(count):
        word = f"editword{i}x"
        write(folder / "edit.md", f"Edit number {i} introduces the {word} marker.")
        start = time.monotonic()
        wait_for(lambda w=word: hits(http, "bench", w) == ["edits/edit.md"], 60, every_s=0.02)
        changed.append(time.monotonic() - start)
    for i in range(count):
        write(folder / f"gone{i}.md", f"Doomed file {i} with the doomword{i}x marker.")
    wait_for(lambda: len(hits(http, "bench", f"doomword{count - 1}x")) == 1, 120)
    for i in range(count):
        (folder / f"gone{i}.md").unlink()
        start = time.monotonic()
        wait_for(lambda i=i: hits(http, "bench", f"doomword{i}x") == [], 60, every_s=0.02)
        deleted.append(time.monotonic() - start)
    return changed, deleted


def _burst(http: httpx.Client, folder: Path, count: int) -> dict[str, float]:
    before = len(sources(http, "bench"))
    began = time.monotonic()
    for i in range(count):
        write(folder / f"b{i % 10}" / f"f{i}.md", f"Burst file {i}: the burstword{i}x token.")
    settled = time.monotonic()
    wait_for(lambda: len(sources(http, "bench")) == before + count, 600, every_s=0.1)
    searchable = time.monotonic() - settled
    for i in range(count):
        (folder / f"b{i % 10}" / f"f{i}.md").unlink()
    settled_delete = time.monotonic()
    wait_for(lambda: len(sources(http, "bench")) == before, 600, every_s=0.1)
    return {
        "files": count,
        "write_s": round(settled - began, 3),
        "searchable_after_last_write_s": round(searchable, 3),
        "gone_after_last_delete_s": round(time.monotonic() - settled_delete, 3),
    }


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--debounce", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragmono-watch-bench-") as tmp:
        root, data = Path(tmp) / "root", Path(tmp) / "data"
        (root / "edits").mkdir(parents=True)
        data.mkdir()
        server = watched_server(data, root, debounce_s=args.debounce).start()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                create_collection(http, "bench")
                add_watch(http, "bench", root / "edits")
                wait_for(lambda: watch_idle(http, "bench"), 60)
                changed, deleted = _edits(http, root / "edits", args.edits)
                load_edits = os.getloadavg()
                burst = _burst(http, root / "edits", args.burst)
                load_burst = os.getloadavg()
        finally:
            server.stop()
    result: dict[str, Any] = {
        "debounce_s": args.debounce,
        "single_edit": _percentiles(changed),
        "single_delete": _percentiles(deleted),
        "load_average_after_edits": [round(x, 2) for x in load_edits],
        "burst": burst,
        "load_average_after_burst": [round(x, 2) for x in load_burst],
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"debounce {args.debounce} s (included in every figure)")
    for name in ("single_edit", "single_delete"):
        row = result[name]
        print(f"{name:14} n={row['n']:3} p50 {row['p50_s']:.2f} s  p95 {row['p95_s']:.2f} s")
    print(f"load average after edits: {result['load_average_after_edits']}")
    print(
        f"burst of {burst['files']} files (written in {burst['write_s']:.2f} s): searchable "
        f"{burst['searchable_after_last_write_s']:.2f} s after the last write, gone "
        f"{burst['gone_after_last_delete_s']:.2f} s after the last delete"
    )
    print(f"load average after burst: {result['load_average_after_burst']}")


if __name__ == "__main__":
    main()
