"""``GET /api/v1/rag/search`` (documentation-api, flat) and ``POST /api/v1/rag/query``
(rag-services envelope), translated onto ragmono's search and answer services.

Parameters are read as leniently as the seed read them (aliases, clamping, defaults), so
every request its clients send keeps working; what the seed rejected is rejected with its code.
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from ragmono.modules.auth import reader_of

from .context import CompatContext
from .envelope import ERROR_CODE, FLAT, SeedError, checked_name, envelope
from .schemas import Envelope, Performance, SearchBody, SearchMetadata
from .translate import confidence, query_hit, search_result

__all__ = ["SeedSearchController"]

SEARCH_MAX_CHARS: Final = 10_000
QUERY_MIN_CHARS: Final = 2
QUERY_MAX_CHARS: Final = 500
ANSWER_TOP_K: Final = 20
"""ragmono gives an answerer at most 20 passages (``/api/v1/query`` ``top_k``)."""


def _first(params: dict[str, str], *names: str) -> str | None:
    return next((params[n] for n in names if n in params), None)


def _clamped_int(raw: object, *, default: int, low: int = 1, high: int = 100) -> int:
    """documentation-api's rule: non-numeric becomes the default, numbers clamp to the range."""
    try:
        value = int(float(raw))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # also "nan" and "inf"
        return default
    return max(low, min(high, value))


def _warning(reason: str | None) -> dict[str, str]:
    return {"Warning": f'199 ragmono "degraded: {reason}"'} if reason else {}


def _body(raw: bytes) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(raw) if raw.strip() else None
    except msgspec.DecodeError:
        raise SeedError(400, "VALIDATION_ERROR", "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SeedError(400, "VALIDATION_ERROR", "the body must be a JSON object")
    return body


def _query_text(body: dict[str, Any]) -> str:
    query = body.get("query")
    if not isinstance(query, str):
        raise SeedError(400, "INVALID_QUERY", "Query must be a string")
    query = query.strip()
    if len(query) < QUERY_MIN_CHARS:
        raise SeedError(400, "QUERY_TOO_SHORT", f"Query must be at least {QUERY_MIN_CHARS} chars")
    if len(query) > QUERY_MAX_CHARS:
        raise SeedError(400, "QUERY_TOO_LONG", f"Query must be at most {QUERY_MAX_CHARS} chars")
    return query


def _limit(body: dict[str, Any]) -> int:
    raw = body.get("limit", body.get("max_results"))
    if raw is None:
        return 10
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise SeedError(400, "VALIDATION_ERROR", "limit must be a number")
    if raw > 100:
        raise SeedError(400, "LIMIT_EXCEEDED", "Limit cannot exceed 100")
    return max(1, int(raw))


class SeedSearchController(Controller):
    """The two routes the seed's dashboard, k6 scripts and Postman collections search with."""

    tags = ["seed compat"]

    @get(
        "/search",
        summary="Seed: search (documentation-api shape)",
        opt={"scope": "search", FLAT: True, ERROR_CODE: "SEARCH_FAILED"},
        cache=False,
    )
    async def search(
        self, request: Request[Any, Any, Any], compat: NamedDependency[CompatContext]
    ) -> Response[SearchBody]:
        params = dict(request.query_params)
        query = (_first(params, "query", "q") or "").strip()
        if not query or len(query) > SEARCH_MAX_CHARS:
            raise SeedError(
                400, "VALIDATION_ERROR", f"query is required (1-{SEARCH_MAX_CHARS} characters)"
            )
        limit = _clamped_int(_first(params, "max_results", "k", "limit"), default=5)
        named = _first(params, "collection", "col") or None
        collection = checked_name(named or compat.default_collection)
        found = await compat.backend.search(query, collection, limit, reader_of(request.scope))
        body = SearchBody(
            success=True,
            results=[search_result(h, collection) for h in found.hits],
            metadata=SearchMetadata(query=query, max_results=limit, collection=named),
            cache_hit=found.cached,
            degraded=found.degraded_reason is not None,
        )
        return Response(body, headers=_warning(found.degraded_reason))

    @post(
        "/query",
        summary="Seed: query (rag-services envelope) with a grounded answer",
        status_code=200,
        opt={"scope": "query", ERROR_CODE: "QUERY_FAILED"},
    )
    async def query(
        self, request: Request[Any, Any, Any], compat: NamedDependency[CompatContext]
    ) -> Response[Envelope]:
        body = _body(await request.body())
        query = _query_text(body)
        limit = _limit(body)
        named = body.get("collection")
        collection = checked_name(
            named if isinstance(named, str) and named else compat.default_collection
        )
        out = await compat.backend.answer(
            query, collection, min(limit, ANSWER_TOP_K), reader_of(request.scope)
        )
        reason = out.degraded_reason
        data: dict[str, Any] = {
            "query": query,
            "results": [query_hit(h, collection) for h in out.sources[:limit]],
            "totalResults": min(len(out.sources), limit),
            "collection": collection,
            "embeddingModel": compat.backend.embedding_model,
            "performance": Performance(
                total_ms=out.total_ms, embedding_ms=out.embed_ms, search_ms=out.search_ms
            ),
            "answer": out.answer,
            "confidence": confidence(len(out.sources), len(out.citations)),
            "sources": [search_result(h, collection) for h in out.sources],
            "metadata": {
                "query_type": "semantic",
                "collection": collection,
                "mode": out.mode,
                "generator": out.generator,
                "model": out.model,
                "citations": out.citations,
                "degraded": reason is not None,
                "degradedReason": reason,
                "generateMs": out.generate_ms,
            },
        }
        if out.cached:
            data["cached"] = True  # present only on a cache hit, as in rag-services
        return envelope(request, data, headers=_warning(reason))
