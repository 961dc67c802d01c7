"""Circuit-breaker administration: list every breaker, force one closed."""

from __future__ import annotations

import structlog

from ragmono.domain import BreakerSnapshot
from ragmono.errors import NotFound
from ragmono.ports import BreakerControl

log = structlog.get_logger("ragmono.admin")


class BreakerService:
    """What operators may do with breakers; the breakers themselves stay in the adapters."""

    def __init__(self, control: BreakerControl) -> None:
        self._control = control

    def list(self) -> list[BreakerSnapshot]:
        """Every breaker's state, sorted by name."""
        return self._control.snapshots()

    def reset(self, name: str) -> BreakerSnapshot:
        """Force breaker ``name`` closed. Raises ``NotFound`` for an unknown name."""
        snapshot = self._control.reset(name)
        if snapshot is None:
            known = ", ".join(s.name for s in self._control.snapshots()) or "none"
            raise NotFound(f"no circuit breaker named {name!r} (known: {known})")
        log.info("breaker_reset", breaker=name)
        return snapshot
