"""``GET /api/v1/rag/models`` (rag-services envelope) and ``GET /api/v1/rag/status``
(documentation-api, bare), from ragmono's models list, readiness and catalog."""

from __future__ import annotations

import time
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from ragmono.errors import NotFound

from .backend import SeedDependency, SeedModel
from .context import CompatContext
from .envelope import ERROR_CODE, FLAT, envelope
from .schemas import Envelope, ModelEntry
from .translate import iso

__all__ = ["SeedStatusController"]


def _model_entry(model: SeedModel) -> ModelEntry:
    local = model.provider == "local"
    return ModelEntry(
        name=model.name,
        dimensions=model.dimensions,
        description=f"{model.provider} embedder" + (" (bundled ONNX, no server)" if local else ""),
        is_default=model.configured,
        available=model.available,
        capabilities=["embedding", "semantic-search"],
        performance="fast" if local else "balanced",
        use_case="general documentation search",
    )


def _service(ok: bool, message: str) -> dict[str, Any]:
    return {"ok": ok, "status": "healthy" if ok else "unhealthy", "message": message}


def _matching(deps: list[SeedDependency], *words: str) -> list[SeedDependency]:
    return [d for d in deps if any(w in f"{d.name} {d.mode}".lower() for w in words)]


def _summary(deps: list[SeedDependency], absent: str) -> dict[str, Any]:
    if not deps:
        return _service(True, absent)
    down = [d for d in deps if not d.reachable]
    text = "; ".join(f"{d.name} ({d.mode}): {d.detail or 'unreachable'}" for d in down)
    return _service(not down, text or ", ".join(f"{d.name} ({d.mode})" for d in deps))


class SeedStatusController(Controller):
    """Model list and the status panel the seed's dashboard polls."""

    tags = ["seed compat"]

    @get("/models", opt={"scope": "search", ERROR_CODE: "MODELS_LIST_ERROR"}, cache=False)
    async def models(
        self, request: Request[Any, Any, Any], compat: NamedDependency[CompatContext]
    ) -> Response[Envelope]:
        listed = sorted(
            await compat.backend.models(), key=lambda m: (not m.available, not m.configured)
        )
        default = next((m.name for m in listed if m.configured), compat.backend.embedding_model)
        data = {
            "models": [_model_entry(m) for m in listed],
            "total": len(listed),
            "available": sum(m.available for m in listed),
            "default": default,
        }
        return envelope(request, data)

    @get("/status", opt={"scope": "search", FLAT: True, ERROR_CODE: "STATUS_FAILED"}, cache=False)
    async def status(
        self, request: Request[Any, Any, Any], compat: NamedDependency[CompatContext]
    ) -> dict[str, Any]:
        params = request.query_params
        name = params.get("collection") or params.get("col") or compat.default_collection
        deps = await compat.backend.dependencies()
        store = _matching(deps, "qdrant", "vector", "embedded")
        store_ok = all(d.reachable for d in store)
        listed = await compat.backend.collections() if store_ok else []
        count: int | None = None
        try:
            count = (await compat.backend.collection(name, stats=True)).points if store_ok else None
            state = "ready" if store_ok else "unreachable"
        except NotFound:
            state = "missing"
        required_down = [d for d in deps if d.required and not d.reachable]
        return {
            "timestamp": iso(time.time()),
            "requestedCollection": name,
            "services": {
                "query": _summary([d for d in deps if d.required], "search and answers in process"),
                "ingestion": _service(not required_down, "in-process job runner"),
                "ollama": _summary(_matching(deps, "ollama"), "not used (local models)"),
                "redis": _summary(_matching(deps, "redis"), "not used (in-process state)"),
                "collections": _service(store_ok, f"{len(listed)} collection(s)"),
            },
            "qdrant": {
                "collection": name,
                "activeCollection": name,
                "ok": store_ok and state == "ready",
                "status": state,
                "count": count,
                "sample": [],
            },
            "collections": [{"name": c.name, "count": c.points} for c in listed],
            "gpuPolicy": None,
            "cached": False,
        }
