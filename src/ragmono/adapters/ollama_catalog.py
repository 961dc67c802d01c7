"""Ollama's model list (``GET /api/tags``) for ``GET /api/v1/models``.

A cheap read with its own short timeout; it does not go through the generation or embedding
breakers, so a listing failure never counts against answering.
"""

from __future__ import annotations

import httpx
import ollama

from ragmono.errors import DependencyUnavailable
from ragmono.ports import ModelInfo

from .ollama import KNOWN_DIMENSIONS

__all__ = ["OllamaCatalog"]

# Families of BERT-style encoders Ollama serves for /api/embed.
_EMBEDDING_FAMILIES = ("bert", "nomic-bert", "xlm-roberta", "gemma-embedding")


class OllamaCatalog:
    """:class:`~ragmono.ports.ModelCatalog` on ``ollama.AsyncClient.list``."""

    def __init__(self, url: str, *, timeout_s: float = 2.0) -> None:
        self._url = url
        self._client = ollama.AsyncClient(host=url, timeout=timeout_s)

    @property
    def url(self) -> str:
        """The Ollama base URL."""
        return self._url

    async def list_models(self) -> list[ModelInfo]:
        """Pulled models with family, size and, for known embedding models, dimensions."""
        try:
            listed = await self._client.list()
        # The SDK raises the builtin ConnectionError when nothing listens.
        except (httpx.HTTPError, ollama.ResponseError, ConnectionError) as exc:
            detail = f"cannot list models at {self._url}: {exc}"
            raise DependencyUnavailable("ollama", detail) from exc
        models = []
        for m in listed.models:
            name = m.model or ""
            family = (m.details.family if m.details else None) or ""
            dims = KNOWN_DIMENSIONS.get(name.split(":", 1)[0])
            models.append(
                ModelInfo(
                    name=name,
                    family=family,
                    size_bytes=int(m.size or 0),
                    embedding=dims is not None or family in _EMBEDDING_FAMILIES,
                    dimensions=dims,
                )
            )
        return sorted(models, key=lambda info: info.name)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._client.close()  # type: ignore[no-untyped-call]
