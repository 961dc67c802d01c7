"""The model-catalog port: which models a model server offers."""

from __future__ import annotations

from typing import Protocol

import msgspec


class ModelInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One model a server has pulled."""

    name: str
    family: str = ""
    size_bytes: int = 0
    embedding: bool = False
    """True for embedding models (they cannot chat)."""
    dimensions: int | None = None
    """Vector size of an embedding model, when known without loading it."""


class ModelCatalog(Protocol):
    """Lists the models of a model server (Ollama's ``/api/tags``).

    Raises ``DependencyUnavailable`` when the server cannot be reached.
    """

    @property
    def url(self) -> str:
        """Where the server is."""
        ...

    async def list_models(self) -> list[ModelInfo]:
        """Every model available there, sorted by name."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
