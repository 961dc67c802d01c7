"""HTTP for /api/v1/search: translate the request, call the service, flag degraded answers."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from ragmono.modules.auth import reader_of

from .fast_path import missed_key
from .params import SearchParams
from .schemas import Mode, SearchIn, SearchOut
from .search_service import SearchService

__all__ = ["SearchController", "degraded_headers"]


def degraded_headers(degraded: bool, reason: str | None) -> dict[str, str]:
    """RFC 7234 ``Warning: 199`` (miscellaneous) so proxies and clients see degradation."""
    if not degraded:
        return {}
    return {"Warning": f'199 ragmono "degraded: {reason or "unknown"}"'}


def _respond(out: SearchOut) -> Response[SearchOut]:
    return Response(out, headers=degraded_headers(out.degraded, out.degraded_reason))


class SearchController(Controller):
    """Find chunks by meaning (dense), by words (keyword) or both (hybrid, the default)."""

    path = "/search"
    tags = ["search"]
    opt = {"scope": "search"}

    @post("/", status_code=200, summary="Search a collection")
    async def search_post(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SearchIn],
        search: NamedDependency[SearchService],
    ) -> Response[SearchOut]:
        params = SearchParams.of(data, reader_of(request.scope))
        return _respond(await search.search(params, missed_key=missed_key(request)))

    @get("/", summary="Search a collection (query string)", cache=False)
    async def search_get(
        self,
        request: Request[Any, Any, Any],
        search: NamedDependency[SearchService],
        q: Annotated[str, QueryParameter(min_length=1, max_length=2000, description="Query.")],
        collection: Annotated[str, QueryParameter(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")],
        k: Annotated[int, QueryParameter(ge=1, le=100, description="How many results.")] = 10,
        mode: FromQuery[Mode] = "hybrid",
    ) -> Response[SearchOut]:
        body = SearchIn(query=q, collection=collection, top_k=k, mode=mode)
        params = SearchParams.of(body, reader_of(request.scope))
        return _respond(await search.search(params))
