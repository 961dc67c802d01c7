"""The breaker-control port: what the admin module may see of the circuit breakers."""

from __future__ import annotations

from typing import Protocol

from ragmono.domain import BreakerSnapshot


class BreakerControl(Protocol):
    """Read and reset circuit breakers (the resilience ``BreakerRegistry`` implements it)."""

    def snapshots(self) -> list[BreakerSnapshot]:
        """Every breaker's state, sorted by name."""
        ...

    def reset(self, name: str) -> BreakerSnapshot | None:
        """Force ``name`` closed and return its new state; None if no such breaker exists."""
        ...
