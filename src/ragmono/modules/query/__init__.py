"""Query module: search (dense, keyword, hybrid), grounded answers, and their cache."""

from .answer_controller import QueryController
from .answers import GENERATOR_UNAVAILABLE, NOTHING_FOUND, QueryParams, QueryService
from .cache import CacheAdmin, cache_key, normalise_query
from .cache_controller import CacheAdminController
from .controller import SearchController
from .service import EMBEDDER_UNAVAILABLE, Retrieval, SearchParams, SearchService

__all__ = [
    "EMBEDDER_UNAVAILABLE",
    "GENERATOR_UNAVAILABLE",
    "NOTHING_FOUND",
    "CacheAdmin",
    "CacheAdminController",
    "QueryController",
    "QueryParams",
    "QueryService",
    "Retrieval",
    "SearchController",
    "SearchParams",
    "SearchService",
    "cache_key",
    "normalise_query",
]
