"""Each known aiobreaker 1.2.0 defect: shown on the raw library, then shown fixed by our wrapper.

The "raw" half of each test proves the defect is real (so the "wrapped" half can fail).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import aiobreaker
import aiobreaker.circuitbreaker
import aiobreaker.state
import pytest
from aiobreaker import CircuitBreaker, CircuitBreakerListener

from ragmono.errors import DependencyUnavailable
from ragmono.resilience import BreakerConfig, BreakerRegistry
from tests.support.clock import ManualClock

REPO = Path(__file__).resolve().parents[3]


class _Py312Datetime(dt.datetime):
    """``datetime`` as Python 3.12+ behaves: ``utcnow()`` warns DeprecationWarning."""

    @classmethod
    def utcnow(cls) -> Any:
        warnings.warn("datetime.datetime.utcnow() is deprecated", DeprecationWarning, stacklevel=2)
        return super().utcnow()


@pytest.fixture
def py312_datetime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aiobreaker.circuitbreaker, "datetime", _Py312Datetime)
    monkeypatch.setattr(aiobreaker.state, "datetime", _Py312Datetime)


async def _boom() -> None:
    raise ConnectionRefusedError("refused")


async def _ok() -> str:
    return "ok"


@pytest.mark.usefixtures("py312_datetime")
async def test_raw_aiobreaker_calls_deprecated_utcnow() -> None:
    raw = CircuitBreaker(fail_max=1)
    with (
        pytest.warns(DeprecationWarning, match="utcnow"),
        pytest.raises(aiobreaker.CircuitBreakerError),
    ):
        await raw.call_async(_boom)


@pytest.mark.usefixtures("py312_datetime")
async def test_wrapped_breaker_never_calls_utcnow() -> None:
    clock = ManualClock()
    breaker = BreakerRegistry(BreakerConfig(fail_max=1), clock=clock).get("redis")
    # warnings are errors in this suite: any utcnow() call would fail the test
    with pytest.raises(DependencyUnavailable):
        await breaker.call(_boom)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(_ok)  # open: fast failure
    assert breaker.snapshot().retry_after_s == 30.0
    clock.advance(30)
    assert await breaker.call(_ok) == "ok"  # half-open trial, then closed
    assert breaker.snapshot().state == "closed"


_TZ_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys, time
    from datetime import timedelta
    from aiobreaker import CircuitBreaker
    from ragmono.resilience import BreakerRegistry
    from ragmono.resilience import BreakerConfig

    async def boom():
        raise ConnectionRefusedError("refused")

    async def measure():
        raw = CircuitBreaker(fail_max=1, timeout_duration=timedelta(seconds=30))
        try:
            await raw.call_async(boom)
        except Exception as exc:
            try:
                raw_remaining = exc.time_remaining.total_seconds()
            except Exception as inner:
                raw_remaining = type(inner).__name__
        breaker = BreakerRegistry(BreakerConfig(fail_max=1, reset_timeout_s=30)).get("redis")
        try:
            await breaker.call(boom)
        except Exception:
            pass
        try:
            await breaker.call(boom)
        except Exception as exc:
            retry = exc.retry_after_s
        snap = breaker.snapshot()
        return {"raw": raw_remaining, "retry": retry, "snap_retry": snap.retry_after_s,
                "opened_at": snap.opened_at, "now": time.time(), "tz": time.tzname}

    results = {}
    for tz in sys.argv[1:]:
        os.environ["TZ"] = tz
        time.tzset()  # datetime.now() follows the process time zone from here on
        results[tz] = asyncio.run(measure())
    print(json.dumps(results))
    """
)
TIME_ZONES = ("Asia/Tokyo", "America/New_York")


@pytest.fixture(scope="module")
def tz_results() -> dict[str, dict[str, Any]]:
    """One subprocess measures raw aiobreaker and our breaker under each time zone."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    out = subprocess.run(
        [sys.executable, "-c", _TZ_SCRIPT, *TIME_ZONES],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    results: dict[str, dict[str, Any]] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


@pytest.mark.parametrize(
    ("tz", "raw_is_wrong"),
    [
        # 9 h ahead: aiobreaker thinks the open period ended hours ago and breaks on None.
        ("Asia/Tokyo", lambda raw: raw == "TypeError"),
        # 4-5 h behind: aiobreaker reports hours left instead of 30 s.
        ("America/New_York", lambda raw: isinstance(raw, float) and raw > 3 * 3600),
    ],
)
def test_time_remaining_is_right_outside_utc(
    tz: str, raw_is_wrong: Any, tz_results: dict[str, dict[str, Any]]
) -> None:
    result = tz_results[tz]
    assert result["tz"][0] not in ("UTC", "GMT"), f"TZ={tz} did not take effect: {result}"
    assert raw_is_wrong(result["raw"]), f"expected aiobreaker's defect under {tz}: {result}"
    assert 29.0 < result["retry"] <= 30.0
    assert 29.0 < result["snap_retry"] <= 30.0
    assert abs(result["opened_at"] - result["now"]) < 5.0, "opened_at must be epoch seconds"


async def test_raw_half_open_admits_every_concurrent_caller() -> None:
    raw = CircuitBreaker(fail_max=1)
    with pytest.raises(aiobreaker.CircuitBreakerError):
        await raw.call_async(_boom)
    raw._state_storage.opened_at = dt.datetime(2000, 1, 1)  # open period long over
    ran = 0

    async def trial() -> None:
        nonlocal ran
        ran += 1
        await asyncio.sleep(0.01)

    await asyncio.gather(*(raw.call_async(trial) for _ in range(10)))
    assert ran == 10  # the defect: ten "trial" calls hit a dependency that just failed


async def test_wrapped_half_open_admits_one() -> None:
    clock = ManualClock()
    breaker = BreakerRegistry(BreakerConfig(fail_max=1), clock=clock).get("redis")
    with pytest.raises(DependencyUnavailable):
        await breaker.call(_boom)
    clock.advance(30)
    ran = 0

    async def trial() -> None:
        nonlocal ran
        ran += 1
        await asyncio.sleep(0.01)

    results = await asyncio.gather(
        *(breaker.call(trial) for _ in range(10)), return_exceptions=True
    )
    assert ran == 1
    assert sum(isinstance(r, DependencyUnavailable) for r in results) == 9


class _Recorder(CircuitBreakerListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.changes: list[tuple[str, str]] = []

    def state_change(self, breaker: Any, old: Any, new: Any) -> None:
        self.changes.append((old.state.name if old else "-", new.state.name))


def test_raw_close_on_closed_breaker_emits_closed_to_closed() -> None:
    recorder = _Recorder()
    raw = CircuitBreaker(listeners=[recorder])
    raw.close()
    assert recorder.changes == [("CLOSED", "CLOSED")]


async def test_wrapped_emits_only_real_transitions() -> None:
    clock = ManualClock()
    registry = BreakerRegistry(BreakerConfig(fail_max=1), clock=clock)
    seen: list[tuple[str, str]] = []
    registry.add_listener(lambda _name, old, new: seen.append((old, new)))
    breaker = registry.get("redis")
    breaker.reset()  # closed -> closed: not a transition
    with pytest.raises(DependencyUnavailable):
        await breaker.call(_boom)
    clock.advance(30)
    await breaker.call(_ok)
    breaker.reset()
    assert seen == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
