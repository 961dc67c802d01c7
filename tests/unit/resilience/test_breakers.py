"""The breaker contract: counting, opening, fast failure, one half-open trial, recovery."""

from __future__ import annotations

import asyncio

import pytest

from ragmono.errors import DependencyUnavailable, NotFound
from ragmono.lifespan import breaker_config
from ragmono.resilience import BreakerConfig, BreakerRegistry, DependencyBreaker
from ragmono.settings import BreakerOverride, BreakerSettings
from tests.support.clock import ManualClock

Transition = tuple[str, str, str]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def registry(clock: ManualClock) -> BreakerRegistry:
    config = BreakerConfig(fail_max=3, reset_timeout_s=30.0)
    return BreakerRegistry(config, clock=clock, wall_clock=lambda: 1_700_000_000.0)


@pytest.fixture
def transitions(registry: BreakerRegistry) -> list[Transition]:
    seen: list[Transition] = []
    registry.add_listener(lambda name, old, new: seen.append((name, old, new)))
    return seen


class Dependency:
    """A fake remote call that counts how often it actually ran."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail: BaseException | None = None

    async def __call__(self, value: str = "ok") -> str:
        self.calls += 1
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        return value


async def trip(breaker: DependencyBreaker, dep: Dependency) -> None:
    dep.fail = ConnectionRefusedError("refused")
    for _ in range(breaker.fail_max):
        with pytest.raises(DependencyUnavailable):
            await breaker.call(dep)


async def test_success_passes_result_through(registry: BreakerRegistry) -> None:
    dep = Dependency()
    assert await registry.get("redis").call(dep, "hello") == "hello"
    assert registry.get("redis").snapshot().state == "closed"


async def test_opens_after_fail_max_and_then_fails_fast_without_calling(
    registry: BreakerRegistry, clock: ManualClock, transitions: list[Transition]
) -> None:
    breaker, dep = registry.get("ollama_embed"), Dependency()
    await trip(breaker, dep)
    snap = breaker.snapshot()
    assert (snap.state, snap.failures, snap.opened_at) == ("open", 3, 1_700_000_000.0)
    assert snap.retry_after_s == 30.0
    assert transitions == [("ollama_embed", "closed", "open")]

    clock.advance(12)
    with pytest.raises(DependencyUnavailable) as info:
        await breaker.call(dep)
    assert dep.calls == 3, "an open breaker must not call the dependency"
    assert info.value.dependency == "ollama_embed"
    assert info.value.retry_after_s == pytest.approx(18.0)


async def test_counted_failure_is_reraised_as_dependency_unavailable(
    registry: BreakerRegistry,
) -> None:
    dep = Dependency()
    dep.fail = ConnectionResetError("reset by peer")
    with pytest.raises(DependencyUnavailable) as info:
        await registry.get("redis").call(dep)
    assert isinstance(info.value.__cause__, ConnectionResetError)
    assert "reset by peer" in info.value.detail
    assert registry.get("redis").snapshot().failures == 1


async def test_other_exceptions_pass_through_uncounted(registry: BreakerRegistry) -> None:
    breaker, dep = registry.get("redis"), Dependency()
    dep.fail = NotFound("no such key")
    for _ in range(5):
        with pytest.raises(NotFound):
            await breaker.call(dep)
    assert breaker.snapshot().state == "closed"
    assert breaker.snapshot().failures == 0


async def test_adapter_predicate_marks_more_failures(registry: BreakerRegistry) -> None:
    class ServerError(Exception):
        pass

    breaker = registry.get("ollama_generate", is_failure=lambda e: isinstance(e, ServerError))
    dep = Dependency()
    dep.fail = ServerError("500")
    await trip_with(breaker, dep)
    assert breaker.snapshot().state == "open"


async def trip_with(breaker: DependencyBreaker, dep: Dependency) -> None:
    for _ in range(breaker.fail_max):
        with pytest.raises(DependencyUnavailable):
            await breaker.call(dep)


async def test_success_resets_the_consecutive_count(registry: BreakerRegistry) -> None:
    breaker, dep = registry.get("redis"), Dependency()
    dep.fail = OSError("down")
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await breaker.call(dep)
    dep.fail = None
    await breaker.call(dep)
    dep.fail = OSError("down")
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await breaker.call(dep)
    assert breaker.snapshot().state == "closed"


async def test_timeout_counts_as_failure(registry: BreakerRegistry) -> None:
    breaker = registry.get("redis")

    async def slow() -> None:
        await asyncio.sleep(5)

    with pytest.raises(DependencyUnavailable) as info:
        await breaker.call(slow, timeout_s=0.01)
    assert "timed out" in info.value.detail
    assert breaker.snapshot().failures == 1


async def test_settings_timeout_applies_and_call_timeout_wins(clock: ManualClock) -> None:
    settings = BreakerSettings(redis=BreakerOverride(timeout_s=0.01))
    breaker = BreakerRegistry(breaker_config(settings), clock=clock).get(
        "redis", default_timeout_s=60
    )
    assert breaker.timeout_s == 0.01

    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "late"

    with pytest.raises(DependencyUnavailable):
        await breaker.call(slow)
    assert await breaker.call(slow, timeout_s=1.0) == "late"


async def test_half_open_admits_exactly_one_trial_under_concurrency(
    registry: BreakerRegistry, clock: ManualClock, transitions: list[Transition]
) -> None:
    breaker, dep = registry.get("ollama_generate"), Dependency()
    await trip(breaker, dep)
    clock.advance(30)
    dep.fail = None
    release = asyncio.Event()

    async def slow_ok() -> str:
        dep.calls += 1
        await release.wait()
        return "recovered"

    tasks = [asyncio.create_task(breaker.call(slow_ok)) for _ in range(20)]
    await asyncio.sleep(0.01)
    assert breaker.snapshot().state == "half_open"
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert dep.calls == 3 + 1, "exactly one trial call may reach the dependency"
    assert results.count("recovered") == 1
    rejected = [r for r in results if isinstance(r, DependencyUnavailable)]
    assert len(rejected) == 19
    assert breaker.snapshot().state == "closed"
    assert [t[1:] for t in transitions] == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ]


async def test_failed_trial_reopens_for_another_period(
    registry: BreakerRegistry, clock: ManualClock, transitions: list[Transition]
) -> None:
    breaker, dep = registry.get("qdrant:node-1"), Dependency()
    await trip(breaker, dep)
    clock.advance(31)
    with pytest.raises(DependencyUnavailable):
        await breaker.call(dep)
    assert dep.calls == 4
    snap = breaker.snapshot()
    assert snap.state == "open"
    assert snap.retry_after_s == 30.0
    assert [t[2] for t in transitions] == ["open", "half_open", "open"]


async def test_cancelled_trial_frees_the_trial_slot(
    registry: BreakerRegistry, clock: ManualClock
) -> None:
    breaker, dep = registry.get("redis"), Dependency()
    await trip(breaker, dep)
    clock.advance(30)

    trial = asyncio.create_task(breaker.call(asyncio.sleep, 10))
    await asyncio.sleep(0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    dep.fail = None
    assert await breaker.call(dep, "next trial") == "next trial"
    assert breaker.snapshot().state == "closed"


async def test_reset_forces_closed_and_clears_failures(
    registry: BreakerRegistry, transitions: list[Transition]
) -> None:
    breaker, dep = registry.get("redis"), Dependency()
    await trip(breaker, dep)
    breaker.reset()
    assert breaker.snapshot() == breaker.snapshot().__class__(
        name="redis", state="closed", failures=0
    )
    breaker.reset()
    assert [t[1:] for t in transitions] == [("closed", "open"), ("open", "closed")]


async def test_late_failures_after_trip_do_not_repeat_the_open_event(
    registry: BreakerRegistry, transitions: list[Transition]
) -> None:
    breaker = registry.get("redis")
    gate = asyncio.Event()

    async def fails_later() -> None:
        await gate.wait()
        raise ConnectionRefusedError("refused")

    tasks = [asyncio.create_task(breaker.call(fails_later)) for _ in range(6)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, DependencyUnavailable) for r in results)
    assert transitions == [("redis", "closed", "open")]


def test_overrides_by_name_and_node_suffix(clock: ManualClock) -> None:
    settings = BreakerSettings(
        fail_max=5,
        reset_timeout_s=30,
        qdrant=BreakerOverride(fail_max=2, reset_timeout_s=7),
    )
    registry = BreakerRegistry(breaker_config(settings), clock=clock)
    node = registry.get("qdrant:http://10.0.0.1:6333")
    assert (node.fail_max, node.reset_timeout_s) == (2, 7)
    assert (registry.get("redis").fail_max, registry.get("redis").reset_timeout_s) == (5, 30)
    assert registry.get("redis") is registry.get("redis")
    assert [b.name for b in registry.all()] == ["qdrant:http://10.0.0.1:6333", "redis"]
    assert registry.find("ollama_embed") is None


async def test_broken_listener_does_not_break_the_call(registry: BreakerRegistry) -> None:
    def broken(name: str, old: str, new: str) -> None:
        raise RuntimeError("metrics down")

    registry.add_listener(broken)
    breaker, dep = registry.get("redis"), Dependency()
    await trip(breaker, dep)
    assert breaker.snapshot().state == "open"


async def test_every_call_is_reported_to_the_call_observers(registry: BreakerRegistry) -> None:
    """Dependency metrics come from the breaker, so Redis and Ollama calls are measured too."""
    seen: list[tuple[str, str | None]] = []
    registry.add_call_observer(lambda name, seconds, kind: seen.append((name, kind)))
    breaker, dep = registry.get("redis"), Dependency()
    await breaker.call(dep)
    dep.fail = NotFound("no such key")  # the dependency answered: not its failure
    with pytest.raises(NotFound):
        await breaker.call(dep)
    dep.fail = TimeoutError()
    with pytest.raises(DependencyUnavailable):
        await breaker.call(dep)
    dep.fail = ConnectionRefusedError("refused")
    for _ in range(3):  # the second opens it (fail_max 3); the third fails fast
        with pytest.raises(DependencyUnavailable):
            await breaker.call(dep)
    assert [kind for _, kind in seen] == [
        None,
        None,
        "timeout",
        "connection",
        "connection",
        "breaker_open",
    ]
    unobserved = registry.get("qdrant", observe_calls=False)  # reports its own calls
    await unobserved.call(Dependency())
    assert len(seen) == 6
