"""How long ``ragmono`` takes to answer ``--help`` and to start a remote command's first request.

Each command runs as a whole process ``--runs`` times (after one warm-up); wall and CPU seconds
(user + sys of the child) are reported as p50/p95/p99 (nearest rank). The remote command asks a
closed loopback port, so its time is start-up plus one refused connection: the time to its
first request. ``--before DIR`` runs a source tree (e.g. ``git archive <rev> src | tar -x -C
DIR``) with the same interpreter, for a before/after in the same run.

    python -m benchmarks.cli_startup --runs 20 [--before /tmp/before]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.timing import nearest_rank


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _commands(note: Path) -> dict[str, list[str]]:
    url = f"http://127.0.0.1:{_closed_port()}"
    return {
        "--help": ["--help"],
        "ingest --help": ["ingest", "--help"],
        "ingest --url (first request)": ["ingest", str(note), "-c", "docs", "--url", url],
    }


def _time(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from ragmono.cli import main; main()", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _row(label: str, samples: list[float], results: dict[str, dict[str, float]]) -> str:
    s = sorted(samples)
    p50, p95, p99 = (nearest_rank(s, q) for q in (50, 95, 99))
    results[label] = {"p50": p50, "p95": p95, "p99": p99}
    return f"{label:<44} p50 {p50:6.3f}  p95 {p95:6.3f}  p99 {p99:6.3f}"


def main() -> None:
    """Print the table; the load average before and after, since the machine may be shared."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--before", type=Path, help="A source tree with src/ragmono to compare.")
    args = parser.parse_args()
    note = Path("benchmarks/.work/cli_note.md")
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text("# Note\n\nA note.")
    trees = {"after": dict(os.environ)}
    if args.before:
        trees["before"] = {**os.environ, "PYTHONPATH": str(args.before / "src")}
    results: dict[str, dict[str, float]] = {}
    load_start = os.getloadavg()
    print(f"load average at start: {load_start}")
    for name, command in _commands(note).items():
        for tree, env in trees.items():
            _time(command, env)  # warm-up: file cache, bytecode
            walls, cpus = zip(*(_time(command, env) for _ in range(args.runs)), strict=True)
            print(_row(f"{name} [{tree}] wall s", list(walls), results))
            print(_row(f"{name} [{tree}] cpu s", list(cpus), results))
    load_end = os.getloadavg()
    print(f"load average at end: {load_end}")
    out = Path("benchmarks/results/cli_startup.json")
    out.write_text(
        json.dumps(
            {"runs": args.runs, "load_start": load_start, "load_end": load_end, **results},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
