"""Backoff for idempotent calls: retries quick failures, never open breakers or timeouts."""

from __future__ import annotations

import pytest

from ragmono.errors import DependencyUnavailable, InvalidInput
from ragmono.resilience import RetryPolicy, retry_idempotent
from ragmono.resilience.retry import worth_retrying


class Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self, value: str) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return value


class Sleeps:
    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def transport_error() -> DependencyUnavailable:
    err = DependencyUnavailable("ollama_embed", "reset")
    err.__cause__ = ConnectionResetError("reset")
    return err


async def test_retries_quick_failures_then_succeeds() -> None:
    fn, sleeps = Flaky([transport_error(), transport_error()]), Sleeps()
    result = await retry_idempotent(fn, "v", sleep=sleeps, rng=lambda: 1.0)
    assert result == "v"
    assert fn.calls == 3
    assert sleeps.pauses == [0.05, 0.1]  # exponential, at full jitter ceiling


async def test_gives_up_after_attempts_with_the_last_error() -> None:
    last = transport_error()
    fn = Flaky([transport_error(), transport_error(), last])
    with pytest.raises(DependencyUnavailable) as info:
        await retry_idempotent(fn, "v", sleep=Sleeps())
    assert info.value is last
    assert fn.calls == 3


@pytest.mark.parametrize(
    "error",
    [
        DependencyUnavailable("ollama_embed", "open", retry_after_s=12.0),
        InvalidInput("bad", field="body.query"),
    ],
    ids=["open-breaker", "not-a-dependency-error"],
)
async def test_does_not_retry_open_breakers_or_other_errors(error: Exception) -> None:
    fn = Flaky([error])
    with pytest.raises(type(error)):
        await retry_idempotent(fn, "v", sleep=Sleeps())
    assert fn.calls == 1


def test_does_not_retry_timeouts() -> None:
    err = DependencyUnavailable("ollama_embed", "timed out")
    err.__cause__ = TimeoutError()
    assert not worth_retrying(err)
    assert worth_retrying(transport_error())


def test_delay_is_jittered_and_capped() -> None:
    policy = RetryPolicy(attempts=10, base_delay_s=0.1, max_delay_s=0.5)
    assert policy.delay_s(10, rng=lambda: 1.0) == 0.5
    assert policy.delay_s(1, rng=lambda: 0.5) == pytest.approx(0.1)
    assert policy.delay_s(0, rng=lambda: 0.0) == 0.0
