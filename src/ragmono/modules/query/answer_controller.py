"""HTTP for /api/v1/query: a JSON answer, or Server-Sent Events when asked to stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Annotated

import msgspec
import structlog
from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.middleware import DefineMiddleware
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import HeaderParameter, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from .answers import PreparedQuery, QueryEvent, QueryParams, QueryService
from .controller import degraded_headers
from .fast_path import CachedHitFastPath
from .filters import to_domain_filter
from .schemas import QueryIn, QueryOut, SourcesEvent, TokenEvent

__all__ = ["QueryController"]

log = structlog.get_logger(__name__)
_encode = msgspec.json.Encoder().encode
EVENT_STREAM = "text/event-stream"


@dataclass
class _AnswerOperation(Operation):
    """The documented operation: a 200 is JSON, or an event stream when one is asked for."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content[EVENT_STREAM] = OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.STRING,
                    description="Server-Sent Events: token..., sources, done (JSON data).",
                )
            )


class QueryController(Controller):
    """Answer a question from a collection, citing the passages used as [n]."""

    path = "/query"
    tags = ["query"]
    opt = {"scope": "query"}

    @post(
        "/",
        status_code=200,
        summary="Answer a question with citations",
        middleware=[DefineMiddleware(CachedHitFastPath, kind="query")],
        operation_class=_AnswerOperation,
        description=(
            "With `stream: true` or `Accept: text/event-stream` the answer comes as Server-Sent "
            'Events: `token` events (`{"text"}`), one `sources` event (`{sources, citations}`) '
            "and a final `done` event (`{degraded, generator, model, timings, ...}`)."
        ),
    )
    async def answer(
        self,
        data: JSONBody[QueryIn],
        answers: NamedDependency[QueryService],
        accept: Annotated[str | None, HeaderParameter(name="accept", required=False)] = None,
    ) -> Response[QueryOut] | ServerSentEvent:
        params = QueryParams(
            query=data.query,
            collection=data.collection,
            top_k=data.top_k,
            filter=to_domain_filter(data.filter),
            score_threshold=data.score_threshold,
            mode=data.mode,
        )
        if data.stream or (accept is not None and EVENT_STREAM in accept):
            prepared = await answers.prepare(params)
            found = prepared.retrieval
            headers = degraded_headers(found.degraded, found.degraded_reason) if found else {}
            headers["Cache-Control"] = "no-store"
            return ServerSentEvent(_events(answers, prepared), headers=headers)
        out = await answers.answer(params)
        return Response(out, headers=degraded_headers(out.degraded, out.degraded_reason))


def _event_name(event: QueryEvent) -> str:
    if isinstance(event, TokenEvent):
        return "token"
    return "sources" if isinstance(event, SourcesEvent) else "done"


async def _events(
    answers: QueryService, prepared: PreparedQuery
) -> AsyncGenerator[ServerSentEventMessage, None]:
    events = answers.stream(prepared)
    try:
        async for event in events:
            yield ServerSentEventMessage(event=_event_name(event), data=_encode(event).decode())
    except Exception as exc:  # the status line is gone: report in-band, log with traceback
        log.error("query_stream_failed", exc_info=exc)
        yield ServerSentEventMessage(event="error", data='{"detail": "the answer failed"}')
    finally:
        await events.aclose()
