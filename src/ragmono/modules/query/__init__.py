"""Query module: search (dense, keyword, hybrid) over a collection."""

from .controller import SearchController
from .service import EMBEDDER_UNAVAILABLE, Retrieval, SearchParams, SearchService

__all__ = [
    "EMBEDDER_UNAVAILABLE",
    "Retrieval",
    "SearchController",
    "SearchParams",
    "SearchService",
]
