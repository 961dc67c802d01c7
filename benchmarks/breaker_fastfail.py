"""The open-breaker fast-fail path: how long ``breaker.call`` takes to refuse a call.

Measures, in one run and one event loop, per-call latency of:

* ``direct``: awaiting a no-op coroutine (the baseline: what any call costs anyway);
* ``closed``: ``breaker.call(noop)`` through a closed breaker (the everyday overhead);
* ``open``: ``breaker.call(noop)`` through an open breaker, catching ``DependencyUnavailable``
  (the fast-fail path; target p99 < 0.5 ms).

    .venv/bin/python benchmarks/breaker_fastfail.py [--calls 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.timing import measure
from ragmono.errors import DependencyUnavailable
from ragmono.resilience import BreakerConfig, BreakerRegistry, DependencyBreaker

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_P99_MS = 0.5


async def noop() -> None:
    return None


async def refused() -> None:
    raise ConnectionRefusedError("refused")


async def open_breaker() -> DependencyBreaker:
    registry = BreakerRegistry(BreakerConfig(fail_max=1, reset_timeout_s=3600))
    breaker = registry.get("ollama_embed")
    with contextlib.suppress(DependencyUnavailable):
        await breaker.call(refused)
    assert breaker.snapshot().state == "open"
    return breaker


async def main(calls: int) -> dict[str, Any]:
    closed = BreakerRegistry(BreakerConfig()).get("ollama_embed")
    opened = await open_breaker()

    async def through_open() -> None:
        try:  # noqa: SIM105 - what a caller writes; suppress() adds its own cost
            await opened.call(noop)
        except DependencyUnavailable:
            pass

    async def through_closed() -> None:
        await closed.call(noop)

    rows = [
        await measure("direct", noop, calls),
        await measure("closed", through_closed, calls),
        await measure("open", through_open, calls),
    ]
    assert closed.snapshot().state == "closed"
    return {
        "benchmark": "breaker_fastfail",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "provisional: shared 2-core machine",
        "target_open_p99_ms": TARGET_P99_MS,
        "results": rows,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000)
    report = asyncio.run(main(parser.parse_args().calls))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "breaker_fastfail.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'path':<8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9} {'calls/s':>10}")
    for row in report["results"]:
        print(
            f"{row['name']:<8} {row['p50_ms']:>9.4f} {row['p95_ms']:>9.4f} "
            f"{row['p99_ms']:>9.4f} {row['max_ms']:>9.3f} {row['calls_per_s']:>10,}"
        )
    open_p99 = next(r["p99_ms"] for r in report["results"] if r["name"] == "open")
    verdict = "meets" if open_p99 < TARGET_P99_MS else "MISSES"
    print(f"open-breaker p99 {open_p99:.4f} ms {verdict} the {TARGET_P99_MS} ms target")
