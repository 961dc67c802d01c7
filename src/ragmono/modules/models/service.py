"""Which embedders and generators are available, with their dimensions."""

from __future__ import annotations

from ragmono.errors import DependencyUnavailable
from ragmono.ports import Embedder, Generator, ModelCatalog, ModelInfo

from .schemas import ModelOut, ModelsOut, OllamaOut

__all__ = ["LOCAL_EMBEDDER", "ModelsService"]

LOCAL_EMBEDDER = ModelOut(
    provider="local", model="all-MiniLM-L6-v2", dimensions=384, configured=False, available=True
)
"""Ships with ragmono (int8 ONNX): always available."""
EXTRACTIVE = ModelOut(provider="extractive", model="", configured=False, available=True)


class ModelsService:
    """Lists the configured models and what the model server (Ollama) offers."""

    def __init__(
        self, embedder: Embedder, generator: Generator, catalog: ModelCatalog | None
    ) -> None:
        self._embedder = embedder
        self._generator = generator
        self._catalog = catalog

    async def list_models(self) -> ModelsOut:
        """Configured embedder and generator first, then the others available."""
        ref = self._embedder.ref
        embedders = [
            ModelOut(
                provider=ref.provider,
                model=ref.model,
                dimensions=ref.dimensions,
                configured=True,
                available=(await self._embedder.health()).reachable,
            )
        ]
        generators = [
            ModelOut(
                provider=self._generator.name,
                model=self._generator.model,
                configured=True,
                available=(await self._generator.health()).reachable,
            )
        ]
        if (ref.provider, ref.model) != ("local", LOCAL_EMBEDDER.model):
            embedders.append(LOCAL_EMBEDDER)
        if self._generator.name != EXTRACTIVE.provider:
            generators.append(EXTRACTIVE)
        ollama = None
        if self._catalog is not None:
            try:
                listed = await self._catalog.list_models()
                ollama = OllamaOut(url=self._catalog.url, reachable=True)
            except DependencyUnavailable as exc:
                listed = []
                ollama = OllamaOut(url=self._catalog.url, reachable=False, detail=exc.detail)
            embedders += [_ollama(m) for m in listed if m.embedding and not _same(embedders, m)]
            generators += [
                _ollama(m) for m in listed if not m.embedding and not _same(generators, m)
            ]
        return ModelsOut(embedders=embedders, generators=generators, ollama=ollama)


def _ollama(info: ModelInfo) -> ModelOut:
    return ModelOut(
        provider="ollama",
        model=info.name,
        dimensions=info.dimensions,
        configured=False,
        available=True,
        detail=info.family,
    )


def _same(listed: list[ModelOut], info: ModelInfo) -> bool:
    return any(m.provider == "ollama" and m.model == info.name for m in listed)
