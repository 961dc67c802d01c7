"""HTTP for GET /api/v1/models."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from .schemas import ModelsOut
from .service import ModelsService

__all__ = ["ModelsController"]


class ModelsController(Controller):
    """Embedders and generators this service can use."""

    path = "/models"
    tags = ["models"]
    opt = {"scope": "search"}

    @get("/", summary="Available embedders and generators, with dimensions", cache=False)
    async def list_models(self, models: NamedDependency[ModelsService]) -> ModelsOut:
        return await models.list_models()
