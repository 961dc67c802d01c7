"""The query module's route handlers: search and answer POSTs behind the cached-hit fast path."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Router
from litestar.middleware import DefineMiddleware
from litestar.types import ControllerRouterHandler

from .answer_controller import AnswerController
from .cache_controller import CacheAdminController
from .fast_path import CachedHitFastPath, CacheReaders
from .search_controller import SearchController

__all__ = ["query_handlers"]


def query_handlers(readers: CacheReaders) -> list[ControllerRouterHandler]:
    """Search, answers and cache admin; ``readers`` serve cache hits before body parsing."""

    def fast(controller: type[Controller], kind: Literal["search", "query"]) -> Router:
        # The fast path wraps only these routes (it passes anything but a small JSON POST on).
        middleware = [DefineMiddleware(CachedHitFastPath, kind=kind, readers=readers)]
        return Router(path="/", route_handlers=[controller], middleware=middleware)

    return [fast(SearchController, "search"), fast(AnswerController, "query"), CacheAdminController]
