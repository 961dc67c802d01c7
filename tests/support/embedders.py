"""Embedder twins for fault tests."""

from __future__ import annotations

from collections.abc import Sequence

from ragmono.domain import DependencyHealth, EmbedderRef
from ragmono.errors import DependencyUnavailable
from ragmono.ports import Embedder, PassageEmbedder


class UnavailableEmbedder:
    """Claims ``ref`` (so collections match) but fails every call like an open breaker."""

    def __init__(self, ref: EmbedderRef) -> None:
        self._ref = ref
        self.calls = 0

    @property
    def ref(self) -> EmbedderRef:
        """The embedder it stands in for."""
        return self._ref

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
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


class MemoEmbedder:
    """A real embedder whose vectors are remembered per text (they are deterministic).

    Tests that ingest the same corpus again and again pay for each distinct text once.
    """

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._vectors: dict[str, list[float]] = {}
        self._units: dict[str, str] = {}
        self.computed = 0
        self.priority_calls: list[list[str]] = []
        """The texts of every ``priority`` call (queries, answer candidates), in order."""

    @property
    def ref(self) -> EmbedderRef:
        """The real embedder's."""
        return self._inner.ref

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """Remembered vectors; the rest from the real embedder in one batch."""
        if priority:
            self.priority_calls.append(list(texts))
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(
                missing, await self._inner.embed_documents(missing, priority=priority), strict=True
            ):
                self._vectors[text] = vector
            self.computed += len(missing)
        return [self._vectors[t] for t in texts]

    async def embed_passages(self, texts: Sequence[str]) -> tuple[list[list[float]], list[str]]:
        """Remembered vectors and unit vectors; the rest from the real embedder (which makes
        unit vectors only if it is a :class:`PassageEmbedder`)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._units))
        if missing:
            if isinstance(self._inner, PassageEmbedder):
                vectors, units = await self._inner.embed_passages(missing)
            else:
                vectors, units = await self._inner.embed_documents(missing), ["" for _ in missing]
            for text, vector, unit in zip(missing, vectors, units, strict=True):
                self._vectors[text], self._units[text] = vector, unit
            self.computed += len(missing)
        return [self._vectors[t] for t in texts], [self._units[t] for t in texts]

    async def embed_query(self, text: str) -> list[float]:
        """As a one-text batch on the query lane."""
        return (await self.embed_documents([text], priority=True))[0]

    async def health(self) -> DependencyHealth:
        """The real embedder's."""
        return await self._inner.health()

    async def close(self) -> None:
        """The real embedder is closed by its own fixture."""
