"""Every circuit breaker of the process, by name, and who hears about them."""

from __future__ import annotations

import time

import structlog

from ragmono.domain import BreakerSnapshot, BreakerState

from .breakers import (
    BreakerConfig,
    BreakerListener,
    BreakerTuning,
    CallObserver,
    Clock,
    DependencyBreaker,
    FailurePredicate,
)

__all__ = ["BreakerRegistry"]

log = structlog.get_logger("ragmono.breakers")


class BreakerRegistry:
    """Every breaker of the process, by name; one registry per app, built in the lifespan."""

    def __init__(
        self,
        config: BreakerConfig,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self._config = config
        self._clock = clock
        self._wall_clock = wall_clock
        self._breakers: dict[str, DependencyBreaker] = {}
        self._listeners: list[BreakerListener] = []
        self._call_observers: list[CallObserver] = []

    def get(
        self,
        name: str,
        *,
        is_failure: FailurePredicate | None = None,
        default_timeout_s: float | None = None,
        observe_calls: bool = True,
    ) -> DependencyBreaker:
        """The breaker called ``name``, created on first use with its settings override.

        ``qdrant:<node>`` uses the ``qdrant`` override. ``is_failure`` marks more exceptions as
        failures; ``default_timeout_s`` applies when the settings give no ``timeout_s``;
        ``observe_calls`` False: the caller reports its calls itself. The first call for a
        name decides all three.
        """
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = DependencyBreaker(
                name,
                override=self._override(name),
                defaults=self._config,
                clock=self._clock,
                wall_clock=self._wall_clock,
                is_failure=is_failure,
                default_timeout_s=default_timeout_s,
                notify=self._transition,
                observe=self._called if observe_calls else None,
            )
            self._breakers[name] = breaker
        return breaker

    def find(self, name: str) -> DependencyBreaker | None:
        """The breaker called ``name`` if one was created, else None."""
        return self._breakers.get(name)

    def reset(self, name: str) -> BreakerSnapshot | None:
        """Force the breaker ``name`` closed; its new snapshot, or None if there is none."""
        breaker = self._breakers.get(name)
        if breaker is None:
            return None
        breaker.reset()
        return breaker.snapshot()

    def all(self) -> list[DependencyBreaker]:
        """Every breaker created so far, sorted by name."""
        return [self._breakers[n] for n in sorted(self._breakers)]

    def snapshots(self) -> list[BreakerSnapshot]:
        """A snapshot of every breaker, sorted by name."""
        return [b.snapshot() for b in self.all()]

    def add_listener(self, listener: BreakerListener) -> None:
        """Call ``listener(name, old_state, new_state)`` on every real state change."""
        self._listeners.append(listener)

    def add_call_observer(self, observer: CallObserver) -> None:
        """Call ``observer(name, seconds, error_kind)`` after every call through a breaker."""
        self._call_observers.append(observer)

    def _called(self, name: str, seconds: float, kind: str | None) -> None:
        for observer in self._call_observers:
            try:
                observer(name, seconds, kind)
            except Exception:  # a broken metrics hook must not break the call
                log.exception("breaker_observer_failed", breaker=name)

    def _override(self, name: str) -> BreakerTuning:
        return self._config.tuning.get(name.split(":", 1)[0], BreakerTuning())

    def _transition(self, name: str, old: BreakerState, new: BreakerState) -> None:
        breaker = self._breakers.get(name)
        failures = int(breaker._cb.fail_counter) if breaker is not None else 0
        level = log.warning if new == "open" else log.info
        level("breaker_state_changed", breaker=name, old=old, new=new, failures=failures)
        for listener in self._listeners:
            try:
                listener(name, old, new)
            except Exception:
                # A broken metrics hook must not break the call that changed the state.
                log.exception("breaker_listener_failed", breaker=name)
