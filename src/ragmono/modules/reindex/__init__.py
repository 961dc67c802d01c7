"""Reindex module: rebuild a collection with another embedder while it keeps answering, as a
job of the ingest job runner; retained old collections dropped on request."""

from .controller import ReindexController
from .reindexer import Reindexer, ReindexFailed
from .service import ReindexService

__all__ = ["ReindexController", "ReindexFailed", "ReindexService", "Reindexer"]
