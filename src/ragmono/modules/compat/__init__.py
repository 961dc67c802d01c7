"""Seed compatibility: the TradingSystem "RAG Services" HTTP API, served unchanged.

Translation only: ``/api/v1/rag/*`` requests are read as the seed's clients send them,
answered by ragmono's own services (through :class:`SeedBackend`, implemented in the
composition root) and shaped as the seed answered. Off unless ``compat.seed_api`` is true.
"""

from collections.abc import Sequence

from litestar import Router
from litestar.openapi.spec import SecurityRequirement

from .backend import (
    SeedAnswer,
    SeedBackend,
    SeedCollection,
    SeedDependency,
    SeedDocument,
    SeedHit,
    SeedIngest,
    SeedModel,
    SeedSearch,
)
from .collections_controller import SeedCollectionsController
from .context import STATE_KEY, CompatContext, provide_context
from .envelope import SEED_EXCEPTION_HANDLERS
from .registry import SeedAttributes, SeedRegistry
from .search_controller import SeedSearchController
from .status_controller import SeedStatusController

__all__ = [
    "STATE_KEY",
    "CompatContext",
    "SeedAnswer",
    "SeedAttributes",
    "SeedBackend",
    "SeedCollection",
    "SeedDependency",
    "SeedDocument",
    "SeedHit",
    "SeedIngest",
    "SeedModel",
    "SeedRegistry",
    "SeedSearch",
    "seed_router",
]

SEED_PREFIX = "/api/v1/rag"


def seed_router(security: Sequence[SecurityRequirement] | None = None) -> Router:
    """``Router("/api/v1/rag")`` with the seed's routes, their error map and dependency.

    Under ``/api/``, so the edge applies ragmono's auth, scopes and rate limits to it.
    """
    return Router(
        path=SEED_PREFIX,
        route_handlers=[SeedSearchController, SeedCollectionsController, SeedStatusController],
        dependencies={"compat": provide_context},
        exception_handlers=SEED_EXCEPTION_HANDLERS,
        security=security,
    )
