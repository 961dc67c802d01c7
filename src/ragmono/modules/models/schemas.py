"""Response body of GET /api/v1/models."""

from __future__ import annotations

import msgspec


class ModelOut(msgspec.Struct, frozen=True, kw_only=True):
    """One embedder or generator this service could use."""

    provider: str
    model: str
    dimensions: int | None = None
    """Vector size (embedders); None when unknown until the model is loaded."""
    configured: bool
    """This is the one the settings select."""
    available: bool
    detail: str = ""


class OllamaOut(msgspec.Struct, frozen=True, kw_only=True):
    """The Ollama server asked for its model list."""

    url: str
    reachable: bool
    detail: str = ""


class ModelsOut(msgspec.Struct, frozen=True, kw_only=True):
    """Embedders and generators, configured first."""

    embedders: list[ModelOut]
    generators: list[ModelOut]
    ollama: OllamaOut | None = None
    """Present when a provider is ``ollama`` (its ``/api/tags``)."""
