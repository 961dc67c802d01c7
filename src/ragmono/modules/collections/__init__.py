"""Collections module: CRUD and stats."""

from .controller import CollectionController
from .service import ChunkingChange, ChunkLimit, CollectionService

__all__ = ["ChunkLimit", "ChunkingChange", "CollectionController", "CollectionService"]
