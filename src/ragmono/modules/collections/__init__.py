"""Collections module: CRUD and stats."""

from .controller import CollectionController
from .service import ChunkingChange, CollectionService

__all__ = ["ChunkingChange", "CollectionController", "CollectionService"]
