"""How a dependency is doing, as shown by /ready."""

from __future__ import annotations

from typing import Any

import msgspec


class DependencyHealth(msgspec.Struct, frozen=True, kw_only=True):
    """One dependency's reachability as seen from this process."""

    name: str
    mode: str
    reachable: bool
    latency_ms: float | None = None
    required: bool = True
    detail: str = ""
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
