"""Liveness and readiness: what each dependency looks like from here, right now."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import msgspec

from ragmono.domain import BreakerSnapshot, DependencyHealth

HealthCheck = Callable[[], Awaitable[DependencyHealth]]
BreakerStates = Callable[[], Sequence[BreakerSnapshot]]


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    """The /ready body: ready only when every required dependency is reachable."""

    ready: bool
    dependencies: list[DependencyHealth]
    breakers: list[BreakerSnapshot] = msgspec.field(default_factory=list)
    """Every dependency circuit breaker: state, failures, opened_at, retry_after_s."""


class HealthService:
    """Runs every registered health check concurrently with a deadline."""

    def __init__(
        self,
        checks: Sequence[HealthCheck],
        *,
        timeout_s: float = 2.0,
        breakers: BreakerStates | None = None,
    ) -> None:
        self._checks = list(checks)
        self._timeout_s = timeout_s
        self._breakers = breakers

    def add(self, check: HealthCheck) -> None:
        """Register one more dependency check."""
        self._checks.append(check)

    async def readiness(self) -> Readiness:
        """Each dependency's state; a check that times out or raises counts as unreachable."""
        results = await asyncio.gather(*(self._run(c) for c in self._checks))
        return Readiness(
            ready=all(r.reachable for r in results if r.required),
            dependencies=list(results),
            breakers=list(self._breakers()) if self._breakers is not None else [],
        )

    async def _run(self, check: HealthCheck) -> DependencyHealth:
        try:
            return await asyncio.wait_for(check(), self._timeout_s)
        except Exception as exc:
            name = getattr(check, "__self__", check).__class__.__name__
            return DependencyHealth(
                name=name, mode="unknown", reachable=False, detail=f"{type(exc).__name__}: {exc}"
            )
