"""A circuit breaker's state as /ready, the admin API and metrics show it."""

from __future__ import annotations

from typing import Literal

import msgspec

BreakerState = Literal["closed", "open", "half_open"]


class BreakerSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """One dependency breaker, right now."""

    name: str
    """Breaker name: ollama_embed, ollama_generate, openai_embed, openai_generate, qdrant (or
    qdrant:<node>), redis."""
    state: BreakerState
    """closed (calls flow), open (calls fail fast) or half_open (one trial call running)."""
    failures: int
    """Consecutive failures counted."""
    opened_at: float | None = None
    """When it last opened, as epoch seconds (None while closed)."""
    retry_after_s: float | None = None
    """Seconds until the next trial call is allowed (None unless open)."""
