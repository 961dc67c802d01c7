"""Embedder twins for fault tests."""

from __future__ import annotations

from collections.abc import Sequence

from ragmono.domain import DependencyHealth, EmbedderRef
from ragmono.errors import DependencyUnavailable


class UnavailableEmbedder:
    """Claims ``ref`` (so collections match) but fails every call like an open breaker."""

    def __init__(self, ref: EmbedderRef) -> None:
        self._ref = ref
        self.calls = 0

    @property
    def ref(self) -> EmbedderRef:
        """The embedder it stands in for."""
        return self._ref

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Always DependencyUnavailable."""
        self.calls += 1
        raise DependencyUnavailable("ollama_embed", "circuit open", retry_after_s=30)

    async def embed_query(self, text: str) -> list[float]:
        """Always DependencyUnavailable."""
        return (await self.embed_documents([text]))[0]

    async def health(self) -> DependencyHealth:
        """Unreachable."""
        return DependencyHealth(name="embedder", mode=self._ref.provider, reachable=False)

    async def close(self) -> None:
        """Nothing to release."""
