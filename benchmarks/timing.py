"""Timing shared by every benchmark: percentiles one way (nearest rank), per-call latency.

``measure`` warms the call up, then times each call with the garbage collector off (its pauses
are real, but not the code's under test; report them apart) and returns p50/p95/p99/max and
throughput in the unit asked for, so every benchmark reports the same columns the same way.
Benchmarks that time requests themselves cut their samples with :func:`percentiles`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal

Unit = Literal["ms", "us"]
_NS_PER = {"ms": 1e6, "us": 1e3}
_DIGITS = {"ms": 5, "us": 2}


def nearest_rank(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile of already sorted values, by nearest rank (no interpolation)."""
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def percentiles(values: Iterable[float], qs: Sequence[int] = (50, 95, 99)) -> dict[int, float]:
    """``{q: value}`` for each q-th percentile of ``values`` (any order), by nearest rank.

    Empty input gives an empty dict: a run without samples has no percentiles to report.
    """
    ordered = sorted(values)
    return {q: nearest_rank(ordered, q) for q in qs} if ordered else {}


async def measure(
    name: str, call: Callable[[], Awaitable[object]], calls: int, *, unit: Unit = "ms"
) -> dict[str, Any]:
    """Time ``calls`` awaits of ``call()``: a row with p50/p95/p99/max in ``unit`` and calls/s."""
    for _ in range(min(2000, calls)):  # warm up caches and the interpreter
        await call()
    samples: list[int] = []
    clock = time.perf_counter_ns
    gc.disable()
    try:
        started = clock()
        for _ in range(calls):
            t0 = clock()
            await call()
            samples.append(clock() - t0)
        elapsed_s = (clock() - started) / 1e9
    finally:
        gc.enable()
    samples.sort()
    per, digits = _NS_PER[unit], _DIGITS[unit]
    row: dict[str, Any] = {"name": name, "calls": calls}
    for q in (50, 95, 99):
        row[f"p{q}_{unit}"] = round(nearest_rank(samples, q) / per, digits)
    row[f"max_{unit}"] = round(samples[-1] / per, digits - 1)
    row["calls_per_s"] = round(calls / elapsed_s)
    return row
