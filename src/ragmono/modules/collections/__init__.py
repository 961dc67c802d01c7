"""Collections module: CRUD and stats."""

from .controller import CollectionController
from .service import CollectionService

__all__ = ["CollectionController", "CollectionService"]
