"""The embedder registry: the configured embedder plus any other one a collection asks for.

Embedders are opened on first use (an Ollama model's size is learned by embedding a probe
once) and kept for the life of the process; concurrent first uses share one open. How each
provider opens a model is handed in by the composition root (``openers``), so this file
knows no settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

import structlog

from ragmono.domain import EmbedderRef
from ragmono.errors import Conflict, InvalidInput, NotFound
from ragmono.ports import Embedder

__all__ = ["EmbedderOpener", "EmbedderRegistry"]

log = structlog.get_logger(__name__)

EmbedderOpener = Callable[[str, int], Awaitable[Embedder]]
"""``(model, dimensions)`` -> an open embedder; dimensions 0 means "learn them".

Raises ``NotFound`` for a model the provider does not have, ``DependencyUnavailable`` when
the provider cannot be asked."""

FIELD = "body.embedder"


class EmbedderRegistry:
    """:class:`~ragmono.ports.Embedders` over ``default`` and one opener per provider."""

    def __init__(self, default: Embedder, openers: Mapping[str, EmbedderOpener]) -> None:
        self._default = default
        self._openers = dict(openers)
        self._open: dict[str, Embedder] = {default.ref.label: default}
        self._opening: dict[str, asyncio.Task[Embedder]] = {}

    @property
    def default(self) -> Embedder:
        """The configured embedder."""
        return self._default

    async def get(self, ref: EmbedderRef) -> Embedder:
        """The embedder of ``ref``; ``Conflict`` when it cannot be opened or its size differs."""
        found = self._open.get(ref.label)
        if found is None:
            try:
                found = await self._load(ref.provider, ref.model, ref.dimensions)
            except (InvalidInput, NotFound) as exc:
                raise Conflict(
                    f"the collection's embedder {ref.label} is not available here: {exc.detail}",
                    field="collection",
                ) from None
        if found.ref.dimensions != ref.dimensions:
            raise Conflict(
                f"the collection's embedder {ref.label} makes {ref.dimensions}-dimension "
                f"vectors but the one available here makes {found.ref.dimensions}",
                field="collection",
            )
        return found

    async def resolve(self, name: str) -> Embedder:
        """The embedder called ``provider/model``; InvalidInput naming ``body.embedder``."""
        provider, sep, model = name.strip().partition("/")
        if not sep or not provider or not model:
            raise InvalidInput(
                f"embedder {name!r} is not 'provider/model' (e.g. 'local/all-MiniLM-L6-v2')",
                field=FIELD,
            )
        found = self._open.get(f"{provider}/{model}")
        if found is not None:
            return found
        try:
            return await self._load(provider, model, 0)
        except NotFound as exc:
            raise InvalidInput(exc.detail, field=FIELD) from None

    async def _load(self, provider: str, model: str, dimensions: int) -> Embedder:
        opener = self._openers.get(provider)
        if opener is None:
            known = ", ".join(sorted(self._openers)) or "none"
            raise InvalidInput(
                f"unknown embedder provider {provider!r}; available: {known}", field=FIELD
            )
        label = f"{provider}/{model}"
        task = self._opening.get(label)
        if task is None:  # one open per model, however many requests ask at once
            task = asyncio.ensure_future(opener(model, dimensions))
            self._opening[label] = task
        try:
            embedder = await asyncio.shield(task)
        finally:
            if task.done():
                self._opening.pop(label, None)
        if label not in self._open:
            self._open[label] = embedder
            log.info("embedder_opened", embedder=label, dimensions=embedder.ref.dimensions)
        return self._open[label]

    async def close(self) -> None:
        """Close every embedder opened here (the default belongs to whoever opened it)."""
        for task in self._opening.values():
            task.cancel()
        others = [e for e in self._open.values() if e is not self._default]
        self._open = {self._default.ref.label: self._default}
        for embedder in others:
            await embedder.close()
