"""The MCP server: ragmono's collections, search, answers and documents as MCP tools.

Built on the official ``mcp`` SDK (FastMCP) and served over its streamable-HTTP transport,
stateless (any replica answers any request; no session to pin). The edge authenticates the
request as for ``/api`` (401 without credentials); each tool then checks the scope it needs
(``search``, ``query`` or ``ingest``) and answers a caller without it with an MCP tool error,
as it does any domain error (unknown collection, bad filter): ``isError`` and a message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

import msgspec
import structlog
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field

from ragmono.domain import Reader, check_labels
from ragmono.errors import RagmonoError
from ragmono.modules.collections import CollectionService
from ragmono.modules.ingest import DocumentInput, IngestService
from ragmono.modules.query import AnswerService, SearchParams, SearchService
from ragmono.modules.query.filters import to_domain_filter
from ragmono.modules.query.schemas import FilterIn

__all__ = ["Caller", "McpServices", "build_mcp_server"]

log = structlog.get_logger("ragmono.mcp")

INSTRUCTIONS = (
    "ragmono answers questions from document collections with numbered citations. "
    "Call list_collections first, then search (passages) or ask (an answer citing "
    "passages as [n], with the sources)."
)


class Caller(Protocol):
    """The authenticated caller of a request (the auth module's ``Principal``)."""

    def allows(self, scope: str) -> bool:
        """Whether the caller holds ``scope``."""
        ...

    @property
    def reader(self) -> Reader:
        """The caller's access labels, as the services take them."""
        ...


@dataclass(frozen=True, slots=True)
class McpServices:
    """The services the tools call (the same ones /api/v1 uses)."""

    collections: CollectionService
    search: SearchService
    answers: AnswerService
    ingest: IngestService


_Mode = Literal["dense", "keyword", "hybrid"]


def build_mcp_server(
    services: Callable[[], McpServices],
    caller_of: Callable[[Any], Caller | None],
) -> FastMCP:
    """A FastMCP server whose tools call ``services()`` as ``caller_of(asgi scope)`` allows.

    ``services`` is read at call time (they exist once the app's lifespan has run).
    """
    server = FastMCP(
        "ragmono",
        instructions=INSTRUCTIONS,
        stateless_http=True,
        json_response=True,
        # Every request carries a bearer token checked by the edge, so a rebinding page
        # cannot use it; Host checks would break every deployment behind a proxy.
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
    )

    async def call(
        ctx: Context[Any, Any, Any], scope: str, work: Callable[[Reader], Awaitable[Any]]
    ) -> Any:
        request = ctx.request_context.request
        caller = caller_of(request.scope) if request is not None else None
        if caller is None or not caller.allows(scope):
            raise ToolError(f"this tool needs scope {scope!r}, which the credentials lack")
        try:
            return msgspec.to_builtins(await work(caller.reader))
        except RagmonoError as exc:
            where = f" ({exc.field})" if exc.field else ""
            raise ToolError(f"{exc.title}{where}: {exc.detail}") from None

    @server.tool(description="List the collections that can be searched and asked.")
    async def list_collections(ctx: Context[Any, Any, Any]) -> list[dict[str, Any]]:
        async def work(reader: Reader) -> list[dict[str, Any]]:
            return [
                {
                    "name": spec.name,
                    "description": spec.description,
                    "embedder": spec.embedder.label,
                    "chunks": stats.points,
                }
                for spec, stats in await services().collections.list_with_stats()
                if reader.in_tenant(spec.tenant)
            ]

        result: list[dict[str, Any]] = await call(ctx, "search", work)
        return result

    @server.tool(
        description=(
            "Find passages in a collection by meaning (dense), words (keyword) or both "
            '(hybrid). `filter` is ragmono\'s filter: {"must": [{"key": "metadata.team", '
            '"match": "hr"}]} (match, any or range).'
        )
    )
    async def search(
        query: Annotated[str, Field(min_length=1, max_length=2000)],
        collection: str,
        ctx: Context[Any, Any, Any],
        mode: _Mode = "hybrid",
        top_k: Annotated[int, Field(ge=1, le=100)] = 10,
        filter: dict[str, Any] | None = None,  # the API's own field name
    ) -> dict[str, Any]:
        async def work(reader: Reader) -> Any:
            params = SearchParams(
                query=query,
                collection=collection,
                top_k=top_k,
                mode=mode,
                filter=_filter(filter),
                reader=reader,
            )
            return await services().search.search(params)

        result: dict[str, Any] = await call(ctx, "search", work)
        return result

    @server.tool(
        description=(
            "Answer a question from a collection. The answer cites passages as [n]; "
            "`sources[n-1]` is the passage cited."
        )
    )
    async def ask(
        question: Annotated[str, Field(min_length=1, max_length=2000)],
        collection: str,
        ctx: Context[Any, Any, Any],
        top_k: Annotated[int, Field(ge=1, le=20)] = 5,
        mode: _Mode = "hybrid",
    ) -> dict[str, Any]:
        async def work(reader: Reader) -> Any:
            params = SearchParams(
                query=question, collection=collection, top_k=top_k, mode=mode, reader=reader
            )
            return await services().answers.answer(params)

        result: dict[str, Any] = await call(ctx, "query", work)
        return result

    @server.tool(description="A document of a collection with the text of its chunks.")
    async def get_document(
        collection: str, document_id: str, ctx: Context[Any, Any, Any]
    ) -> dict[str, Any]:
        async def work(reader: Reader) -> Any:
            return await services().ingest.get_document(collection, document_id, reader=reader)

        result: dict[str, Any] = await call(ctx, "search", work)
        return result

    @server.tool(
        description=(
            "Add or replace a text document in a collection (needs the ingest scope). "
            "Re-sending the same document_id replaces its chunks."
        )
    )
    async def ingest_text(
        collection: str,
        text: Annotated[str, Field(min_length=1, max_length=1_000_000)],
        ctx: Context[Any, Any, Any],
        document_id: str | None = None,
        source: str = "",
        metadata: dict[str, str | int | float | bool] | None = None,
        access: list[str] | None = None,
    ) -> dict[str, Any]:
        try:
            labels = check_labels(access or [])
        except ValueError as exc:
            raise ToolError(f"invalid access: {exc}") from None

        async def work(reader: Reader) -> Any:
            document = DocumentInput(
                text=text,
                id=document_id,
                source=source,
                metadata=dict(metadata or {}),
                access=labels,
            )
            outcome, _ = await services().ingest.ingest_documents(
                collection, [document], background=False, writer=reader
            )
            return outcome

        result: dict[str, Any] = await call(ctx, "ingest", work)
        return result

    return server


def _filter(given: dict[str, Any] | None) -> Any:
    if given is None:
        return None
    try:
        parsed = msgspec.convert(given, FilterIn)
    except msgspec.ValidationError as exc:
        raise ToolError(f"invalid filter: {exc}") from None
    return to_domain_filter(parsed, field="filter")
