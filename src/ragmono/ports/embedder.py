"""The embedder port: text to dense vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ragmono.domain import DependencyHealth, EmbedderRef


class Embedder(Protocol):
    """Turns text into unit-length dense vectors of ``ref.dimensions`` floats.

    Raises ``DependencyUnavailable`` when the model or its server cannot answer.
    """

    @property
    def ref(self) -> EmbedderRef:
        """Provider, model and dimensions: recorded in each collection it fills."""
        ...

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        """One vector per text, in order.

        ``priority``: someone is waiting for these vectors (e.g. scoring a query's answer
        candidates), so an embedder with a query lane runs them there, ahead of ingest work.
        """
        ...

    async def embed_query(self, text: str) -> list[float]:
        """The vector of a search query (always on the query lane, if there is one)."""
        ...

    async def health(self) -> DependencyHealth:
        """Whether embeddings can be made now."""
        ...

    async def close(self) -> None:
        """Release sessions and connections."""
        ...


@runtime_checkable
class PassageEmbedder(Protocol):
    """An embedder that also makes each passage's answer-unit vectors in the same model run
    (the local one: late chunking). Ingest stores them with the chunk, so the extractive
    answerer does not embed sentences at query time."""

    async def embed_passages(self, texts: Sequence[str]) -> tuple[list[list[float]], list[str]]:
        """Each text's vector and its units' vectors as a payload string ("" for none)."""
        ...


class Embedders(Protocol):
    """Every embedder this process can use, opened on first use and cached.

    ``default`` is the configured one (new collections are built with it). A collection is
    searched and written with the embedder recorded in its spec, so a reindexed collection
    keeps working whatever the configured default is.
    """

    @property
    def default(self) -> Embedder:
        """The configured embedder (``embedder.provider`` / ``embedder.model``)."""
        ...

    async def get(self, ref: EmbedderRef) -> Embedder:
        """The embedder that made ``ref``'s vectors; ``Conflict`` when it cannot be had."""
        ...

    async def resolve(self, name: str) -> Embedder:
        """The embedder called ``provider/model`` (its size learned once).

        ``InvalidInput`` (field ``body.embedder``) for an unknown provider or model;
        ``DependencyUnavailable`` when its server cannot be asked.
        """
        ...

    async def close(self) -> None:
        """Close every embedder opened here (not the default: its owner closes it)."""
        ...
