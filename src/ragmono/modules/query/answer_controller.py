"""HTTP for /api/v1/query: a JSON answer, or Server-Sent Events when asked to stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
import structlog
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import HeaderParameter, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from ragmono.modules.auth import reader_of

from .answer_service import AnswerService, PreparedQuery, QueryEvent
from .fast_path import missed_key
from .params import SearchParams
from .schemas import QueryIn, QueryOut, SourcesEvent, TokenEvent
from .search_controller import degraded_headers

__all__ = ["AnswerController"]

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
                    type=OpenAPIType.OBJECT,
                    description=(
                        "One Server-Sent Event: `token` events, one `sources`, then `done` "
                        "(or `error`); `data` is JSON (TokenEvent, SourcesEvent, DoneEvent)."
                    ),
                    required=["event", "data"],
                    properties={
                        "event": Schema(
                            type=OpenAPIType.STRING, enum=["token", "sources", "done", "error"]
                        ),
                        "data": Schema(type=OpenAPIType.STRING),
                    },
                )
            )


class AnswerController(Controller):
    """Answer a question from a collection, citing the passages used as [n]."""

    path = "/query"
    tags = ["query"]
    opt = {"scope": "query"}

    @post(
        "/",
        status_code=200,
        summary="Answer a question with citations",
        operation_class=_AnswerOperation,
        description=(
            "With `stream: true` or `Accept: text/event-stream` the answer comes as Server-Sent "
            'Events: `token` events (`{"text"}`), one `sources` event (`{sources, citations}`) '
            "and a final `done` event (`{degraded, generator, model, timings, ...}`)."
        ),
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[QueryIn],
        answers: NamedDependency[AnswerService],
        accept: Annotated[str | None, HeaderParameter(name="accept", required=False)] = None,
    ) -> Response[QueryOut] | ServerSentEvent:
        params = SearchParams.of(data, reader_of(request.scope))
        missed = missed_key(request)
        if data.stream or (accept is not None and EVENT_STREAM in accept):
            prepared = await answers.prepare(params, missed_key=missed)
            found = prepared.retrieval
            headers = degraded_headers(found.degraded, found.degraded_reason) if found else {}
            headers["Cache-Control"] = "no-store"
            return ServerSentEvent(_events(answers, prepared), headers=headers)
        out = await answers.answer(params, missed_key=missed)
        return Response(out, headers=degraded_headers(out.degraded, out.degraded_reason))


def _event_name(event: QueryEvent) -> str:
    if isinstance(event, TokenEvent):
        return "token"
    return "sources" if isinstance(event, SourcesEvent) else "done"


async def _events(
    answers: AnswerService, prepared: PreparedQuery
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
