"""The embedder port: text to dense vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ragmono.domain import DependencyHealth, EmbedderRef


class Embedder(Protocol):
    """Turns text into unit-length dense vectors of ``ref.dimensions`` floats.

    Raises ``DependencyUnavailable`` when the model or its server cannot answer.
    """

    @property
    def ref(self) -> EmbedderRef:
        """Provider, model and dimensions: recorded in each collection it fills."""
        ...

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...

    async def embed_query(self, text: str) -> list[float]:
        """The vector of a search query."""
        ...

    async def health(self) -> DependencyHealth:
        """Whether embeddings can be made now."""
        ...

    async def close(self) -> None:
        """Release sessions and connections."""
        ...
