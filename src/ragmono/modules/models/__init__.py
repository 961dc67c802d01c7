"""Models module: which embedders and generators are available."""

from .controller import ModelsController
from .service import ModelsService

__all__ = ["ModelsController", "ModelsService"]
