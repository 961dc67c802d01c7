"""What the seed routes are handed: the backend over ragmono's services and this module's config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from litestar.datastructures import State
from litestar.di import Provide

from .backend import SeedBackend
from .registry import SeedRegistry

__all__ = ["STATE_KEY", "CompatContext", "provide_context"]

STATE_KEY: Final = "compat"
"""``app.state`` attribute the lifespan sets to the :class:`CompatContext`."""


@dataclass(frozen=True, slots=True)
class CompatContext:
    """Built once per app in ``lifespan/compat.py``."""

    backend: SeedBackend
    registry: SeedRegistry
    default_collection: str = "documentation"
    """Used when a request names no collection (``compat.default_collection``)."""
    ingest_wait_s: float = 300.0
    """How long a seed ingest waits for its sync job (``compat.ingest_wait_s``)."""


def _from_state(state: State) -> CompatContext:
    context: CompatContext = getattr(state, STATE_KEY)
    return context


provide_context = Provide(_from_state, sync_to_thread=False)
"""The ``compat`` dependency of every seed route."""
