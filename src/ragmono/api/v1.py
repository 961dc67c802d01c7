"""The /api/v1 router: every versioned module controller. A v2 is a new file beside this one."""

from __future__ import annotations

from litestar import Router

from ragmono.api.edge_middleware import API_SECURITY
from ragmono.modules.admin import BackupController, BreakerController
from ragmono.modules.collections import CollectionController
from ragmono.modules.ingest import ingest_handlers
from ragmono.modules.models import ModelsController
from ragmono.modules.query import CacheReaders, query_handlers
from ragmono.modules.reindex import ReindexController


def build_v1_router(*, max_upload_bytes: int, cache_readers: CacheReaders | None = None) -> Router:
    """Router("/api/v1") with every module's controller.

    Each handler declares the scope it needs, ``opt={"scope": "search"}`` (see README, Auth);
    one that does not is denied to every caller. Uploads may carry ``max_upload_bytes``.
    ``cache_readers`` (bound by the lifespan) let search and answer POSTs skip body parsing
    on a cache hit; without them every request takes the regular path.
    """
    return Router(
        path="/api/v1",
        route_handlers=[
            CollectionController,
            BreakerController,
            BackupController,
            *ingest_handlers(max_upload_bytes),
            ReindexController,
            *query_handlers(cache_readers or CacheReaders()),
            ModelsController,
        ],
        security=API_SECURITY,
    )
