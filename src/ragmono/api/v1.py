"""The /api/v1 router: every versioned module controller. A v2 is a new file beside this one."""

from __future__ import annotations

from litestar import Router

from ragmono.modules.admin import BreakerController
from ragmono.modules.collections import CollectionController
from ragmono.modules.models import ModelsController
from ragmono.modules.query import CacheAdminController, QueryController, SearchController


def build_v1_router() -> Router:
    """Router("/api/v1") with every module's controller."""
    return Router(
        path="/api/v1",
        route_handlers=[
            CollectionController,
            BreakerController,
            SearchController,
            QueryController,
            CacheAdminController,
            ModelsController,
        ],
    )
