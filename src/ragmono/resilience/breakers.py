"""One circuit breaker per dependency: aiobreaker 1.2.0, wrapped to fix its known defects.

aiobreaker keeps the state machine (closed -> open -> half-open), the failure counter and the
listeners. This module wraps it because, as shipped, it:

* stamps ``opened_at`` with ``datetime.utcnow()`` (deprecated from Python 3.12; our tests run
  with warnings as errors) and compares it with ``datetime.now()`` (local time), so its
  ``time_remaining`` is wrong by the UTC offset outside UTC. Here time comes from an injectable
  monotonic clock (retry-after) and a wall clock (``opened_at`` as epoch seconds);
* lets every concurrent caller through once the open period ends. Here exactly one caller runs
  the half-open trial; the others fail fast until it settles;
* notifies listeners of same-state "transitions" (CLOSED -> CLOSED after a second success in
  half-open, OPEN -> OPEN when a call started before the trip fails late). Here a listener hears
  only real changes.

Its Redis storage (synchronous, blocking the event loop) is never used: state is per process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import structlog
from aiobreaker import CircuitBreaker, CircuitBreakerError, CircuitBreakerState
from aiobreaker.listener import CircuitBreakerListener
from aiobreaker.state import CircuitOpenState
from aiobreaker.storage.memory import CircuitMemoryStorage

from ragmono.domain import BreakerSnapshot, BreakerState
from ragmono.errors import DependencyUnavailable

__all__ = [
    "BreakerConfig",
    "BreakerListener",
    "BreakerSnapshot",
    "BreakerState",
    "BreakerTuning",
    "CallObserver",
    "DependencyBreaker",
    "FailurePredicate",
]

log = structlog.get_logger("ragmono.breakers")

T = TypeVar("T")

FailurePredicate = Callable[[BaseException], bool]
BreakerListener = Callable[[str, BreakerState, BreakerState], None]
CallObserver = Callable[[str, float, "str | None"], None]
"""Hears every call through a breaker: its name, seconds taken, and None or why it failed
(``timeout``, ``connection``, ``breaker_open``, ``other``)."""
Clock = Callable[[], float]

_STATE_NAMES: dict[Any, BreakerState] = {
    CircuitBreakerState.CLOSED: "closed",
    CircuitBreakerState.OPEN: "open",
    CircuitBreakerState.HALF_OPEN: "half_open",
}


@dataclass(frozen=True, slots=True)
class BreakerTuning:
    """One breaker's own values (``breakers.<name>`` in the settings); None takes the default."""

    fail_max: int | None = None
    reset_timeout_s: float | None = None
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class BreakerConfig:
    """The registry's defaults, and the tuning of each named breaker (built in the lifespan)."""

    fail_max: int = 5
    reset_timeout_s: float = 30.0
    tuning: Mapping[str, BreakerTuning] = field(default_factory=dict)
    """By breaker name without a node suffix: ``qdrant`` tunes every ``qdrant:<node>``."""


class _ClockedOpenState(CircuitOpenState):  # type: ignore[misc]
    """aiobreaker's open state with its ``utcnow()`` check replaced by the breaker's clock."""

    def before_call(self, func: Any, *args: Any, **kwargs: Any) -> None:
        breaker: _ClockedBreaker = self._breaker
        if breaker.remaining_open_s() > 0:
            raise CircuitBreakerError("circuit breaker still open", breaker.opens_at)


class _ClockedBreaker(CircuitBreaker):  # type: ignore[misc]
    """aiobreaker's ``CircuitBreaker`` on injected clocks, without same-state notifications."""

    def __init__(
        self,
        name: str,
        override: BreakerTuning,
        defaults: BreakerConfig,
        clock: Clock,
        is_failure: FailurePredicate,
    ) -> None:
        self._clock = clock
        self.opened_at_mono: float | None = None
        reset_s = override.reset_timeout_s or defaults.reset_timeout_s
        super().__init__(
            fail_max=override.fail_max or defaults.fail_max,
            timeout_duration=timedelta(seconds=reset_s),
            state_storage=CircuitMemoryStorage(CircuitBreakerState.CLOSED),
            # aiobreaker counts every exception unless excluded; exclude what is not a failure.
            exclude=[lambda exc: not is_failure(exc)],
            name=name,
        )
        self.reset_timeout_s = reset_s

    def _create_new_state(
        self, new_state: Any, prev_state: Any = None, notify: bool = False
    ) -> Any:
        if prev_state is not None and prev_state.state is new_state:
            notify = False  # not a transition: tell nobody
        cls = _ClockedOpenState if new_state is CircuitBreakerState.OPEN else new_state.value
        return cls(self, prev_state=prev_state, notify=notify)

    def open(self) -> None:
        self.opened_at_mono = self._clock()
        self.state = self._state_storage.state = CircuitBreakerState.OPEN

    def remaining_open_s(self) -> float:
        """Seconds left in the open period (0 once a trial may run)."""
        if self.opened_at_mono is None:
            return 0.0
        return max(0.0, self.opened_at_mono + self.reset_timeout_s - self._clock())

    @property
    def opens_at(self) -> float:
        # aiobreaker passes this to CircuitBreakerError; ours is a monotonic deadline.
        return (self.opened_at_mono or self._clock()) + self.reset_timeout_s

    @property
    def time_until_open(self) -> timedelta:
        return timedelta(seconds=self.remaining_open_s())


class _Forwarder(CircuitBreakerListener):  # type: ignore[misc]
    """Turns aiobreaker's state-change callbacks into the registry's (name, old, new)."""

    def __init__(self, owner: DependencyBreaker) -> None:
        self._owner = owner

    def state_change(self, breaker: Any, old: Any, new: Any) -> None:
        old_name = _STATE_NAMES[old.state] if old is not None else "closed"
        self._owner._on_transition(old_name, _STATE_NAMES[new.state])


def default_is_failure(exc: BaseException) -> bool:
    """Timeouts, socket errors and an inner DependencyUnavailable mean the dependency failed."""
    return isinstance(exc, OSError | ConnectionError | TimeoutError | DependencyUnavailable)


class DependencyBreaker:
    """The breaker of one dependency. Build through :class:`BreakerRegistry`, not directly."""

    def __init__(
        self,
        name: str,
        *,
        override: BreakerTuning,
        defaults: BreakerConfig,
        clock: Clock,
        wall_clock: Clock,
        is_failure: FailurePredicate | None,
        default_timeout_s: float | None,
        notify: Callable[[str, BreakerState, BreakerState], None],
        observe: CallObserver | None = None,
    ) -> None:
        self.name = name
        self._observe = observe
        self.timeout_s = override.timeout_s or default_timeout_s
        self._extra_failure = is_failure
        self._wall_clock = wall_clock
        self._notify = notify
        self._opened_at_wall: float | None = None
        self._trial_running = False
        self._cb = _ClockedBreaker(name, override, defaults, clock, self.is_failure)
        self._cb.add_listener(_Forwarder(self))

    @property
    def fail_max(self) -> int:
        """Consecutive failures that open this breaker."""
        return int(self._cb.fail_max)

    @property
    def reset_timeout_s(self) -> float:
        """Seconds open before one trial call."""
        return float(self._cb.reset_timeout_s)

    @property
    def state(self) -> BreakerState:
        """closed, open or half_open."""
        return _STATE_NAMES[self._cb.current_state]

    def is_failure(self, exc: BaseException) -> bool:
        """Whether ``exc`` counts against the dependency (others pass through uncounted)."""
        if default_is_failure(exc):
            return True
        return self._extra_failure is not None and self._extra_failure(exc)

    async def call(
        self,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> T:
        """Run ``fn(*args, **kwargs)`` under this breaker and a timeout.

        Raises ``DependencyUnavailable`` without calling ``fn`` while open (and while another
        caller runs the half-open trial), and in place of every counted failure. Each call is
        reported to the registry's call observers (the dependency metrics).
        """
        if self._observe is None:
            return await self._call(fn, args, kwargs, timeout_s)
        started, kind = time.perf_counter(), None
        try:
            return await self._call(fn, args, kwargs, timeout_s)
        except DependencyUnavailable as exc:
            kind = _failure_kind(exc)
            raise
        finally:
            self._observe(self.name, time.perf_counter() - started, kind)

    async def _call(
        self,
        fn: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout_s: float | None,
    ) -> T:
        cb = self._cb
        current = cb.current_state
        if current is CircuitBreakerState.CLOSED:
            return await self._run(fn, args, kwargs, timeout_s)
        # Open or half-open: only the one caller that claims the trial goes through.
        remaining = cb.remaining_open_s()
        if remaining > 0 or self._trial_running:
            raise DependencyUnavailable(
                self.name,
                f"{self.name} circuit breaker is open",
                retry_after_s=remaining if remaining > 0 else self._trial_wait_s(),
            )
        self._trial_running = True
        try:
            if current is CircuitBreakerState.OPEN:
                cb.half_open()
            return await self._run(fn, args, kwargs, timeout_s)
        finally:
            self._trial_running = False

    def _trial_wait_s(self) -> float:
        # The trial settles within its timeout; without one, suggest a short wait.
        return self.timeout_s if self.timeout_s is not None else 1.0

    async def _run(
        self,
        fn: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        timeout_s: float | None,
    ) -> T:
        limit = timeout_s if timeout_s is not None else self.timeout_s
        try:
            result: T = await self._cb.call_async(_with_timeout, limit, fn, args, kwargs)
        except CircuitBreakerError as err:
            # aiobreaker raises this (chained to the failure) when the failure opened it.
            raise self._unavailable(err.__cause__ or err) from (err.__cause__ or err)
        except Exception as exc:
            if self.is_failure(exc):
                raise self._unavailable(exc) from exc
            raise
        return result

    def _unavailable(self, exc: BaseException) -> DependencyUnavailable:
        if isinstance(exc, DependencyUnavailable):
            return exc
        if isinstance(exc, TimeoutError):
            detail = f"{self.name} timed out"
        else:
            detail = f"{self.name} failed: {type(exc).__name__}: {exc}".rstrip(": ")
        retry = self._cb.remaining_open_s() if self.state == "open" else None
        return DependencyUnavailable(self.name, detail, retry_after_s=retry or None)

    def snapshot(self) -> BreakerSnapshot:
        """The current state, failure count, when it opened and how long until a trial."""
        state = self.state
        return BreakerSnapshot(
            name=self.name,
            state=state,
            failures=int(self._cb.fail_counter),
            opened_at=self._opened_at_wall if state != "closed" else None,
            retry_after_s=round(self._cb.remaining_open_s(), 3) if state == "open" else None,
        )

    def reset(self) -> None:
        """Force the breaker closed with no failures counted (admin action)."""
        self._cb._state_storage.reset_counter()
        self._cb.close()

    def _on_transition(self, old: BreakerState, new: BreakerState) -> None:
        if new == "open":
            self._opened_at_wall = self._wall_clock()
        self._notify(self.name, old, new)


def _failure_kind(exc: DependencyUnavailable) -> str:
    """A short, fixed label for why a call through a breaker failed."""
    cause = exc.__cause__
    if cause is None:
        return "breaker_open"  # failed fast: the dependency was not called
    name = type(cause).__name__.lower()
    if isinstance(cause, TimeoutError) or "timeout" in name:
        return "timeout"
    if isinstance(cause, ConnectionError) or "connection" in name:
        return "connection"
    return "other"


async def _with_timeout(
    limit: float | None,
    fn: Callable[..., Awaitable[T]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> T:
    if limit is None:
        return await fn(*args, **kwargs)
    async with asyncio.timeout(limit):
        return await fn(*args, **kwargs)
