"""The replica benchmark's accounting: CPU seconds of a process tree from /proc (a real busy
grandchild), the machine split into named, interrupts and other, and the findings its report
derives from the figures."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any

from benchmarks.proc_cpu import CpuSnapshot, cpu_delta, tree_cpu_s, tree_pids
from benchmarks.replica_report import markdown

SPIN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"


def test_a_tree_counts_the_cpu_of_a_live_grandchild() -> None:
    grandchild = f"exec({SPIN!r}); import time; time.sleep(60)"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])",
        ]
    )
    try:
        deadline = time.monotonic() + 60
        while tree_cpu_s(parent.pid) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(tree_pids(parent.pid)) == 2
        assert tree_cpu_s(parent.pid) >= 0.3
    finally:
        for pid in reversed(tree_pids(parent.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        parent.wait(10)


def test_other_is_the_machine_less_the_named_trees_the_client_and_interrupts() -> None:
    before = CpuSnapshot(at=10.0, trees={"a": 1.0, "b": 2.0}, client=0.5, machine=100.0)
    after = CpuSnapshot(
        at=20.0, trees={"a": 4.0, "b": 3.0}, client=1.0, machine=112.0, interrupts=0.5
    )
    delta = cpu_delta(before, after)
    assert delta == {
        "a": 3.0,
        "b": 1.0,
        "client": 0.5,
        "machine": 12.0,
        "interrupts": 0.5,
        "other": 7.0,
        "wall": 10.0,
    }


def _row(mode: str, searches: int, engine_ms: float, **cpu: float) -> dict[str, Any]:
    return {
        "replicas": 1,
        "mode": mode,
        "searches": searches,
        "per_s": searches / 10,
        "per_s_each_pass": [searches / 10],
        "p50_ms": 1.0,
        "p95_ms": 2.0,
        "p99_ms": 3.0,
        "errors": 0,
        "embed_mean_ms": 9.0,
        "search_mean_ms": engine_ms,
        "qdrant_calls_per_search": 3.0,
        "cpu_s": {"client": 0.5, "redis": 0.0, "interrupts": 0.1, "wall": 10.0, **cpu},
        "loadavg": [[0.5, 0.5, 0.5], [0.6, 0.5, 0.5]],
    }


def test_the_report_names_what_limited_each_row() -> None:
    twin_bound = _row("hybrid", 300, 90.0, replica_1=4.0, twin=8.0, other=0.0, machine=12.6)
    cores_bound = _row("dense", 900, 9.0, replica_1=9.0, twin=3.0, other=6.0, machine=18.6)
    report = {
        "when": "2026-12-05T12:00:00Z",
        "wall_s": 60.0,
        "machine": {"cpu": "x", "cpu_count": 2, "affinity": 2, "python": "3.11"},
        "setup": {
            "queries": 300,
            "concurrency": 8,
            "warmup_s": 3,
            "seconds": 10,
            "modes": ["hybrid", "dense"],
            "order": [1, 1],
            "cache": "off",
        },
        "corpus": {"documents": 400, "chunks": 800, "seconds": 30.0},
        "loadavg_start": [0.5, 0.5, 0.5],
        "loadavg_end": [0.6, 0.5, 0.5],
        "rows": [twin_bound, cores_bound],
    }
    findings = dict(
        line[2:].rsplit(": ", 1) for line in markdown(report).splitlines() if ": N=" in line
    )
    by_start = {text.split(" (")[0].split(":")[0]: rows for text, rows in findings.items()}
    assert by_start["Searches queued at the Qdrant twin"] == "N=1 hybrid."
    assert by_start["The twin took more CPU per search than the replicas"] == "N=1 hybrid."
    assert by_start["The one replica ran near a full core"] == "N=1 dense."
    assert by_start["The 2 cores were busy"] == "N=1 dense."
    assert by_start["Other processes took a quarter of a core or more"] == "N=1 dense."
