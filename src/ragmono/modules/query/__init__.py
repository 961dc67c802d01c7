"""Query module: search (dense, keyword, hybrid), grounded answers, and their cache."""

from .answer_controller import AnswerController
from .answer_service import GENERATOR_UNAVAILABLE, NOTHING_FOUND, AnswerService
from .cache import CacheAdmin, cache_key, normalise_query
from .cache_controller import CacheAdminController
from .fast_path import CacheReaders
from .handlers import query_handlers
from .params import SearchParams
from .search_controller import SearchController
from .search_service import EMBEDDER_UNAVAILABLE, Retrieval, SearchService

__all__ = [
    "EMBEDDER_UNAVAILABLE",
    "GENERATOR_UNAVAILABLE",
    "NOTHING_FOUND",
    "AnswerController",
    "AnswerService",
    "CacheAdmin",
    "CacheAdminController",
    "CacheReaders",
    "Retrieval",
    "SearchController",
    "SearchParams",
    "SearchService",
    "cache_key",
    "normalise_query",
    "query_handlers",
]
