"""HTTP for /v1: OpenAI's models, chat completions (whole or as SSE chunks) and embeddings."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

import msgspec
import structlog
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.response import Stream

from .errors import ErrorBody, ErrorDetail
from .schemas import (
    ChatCompletion,
    ChatCompletionIn,
    EmbeddingsIn,
    EmbeddingsOut,
    ModelList,
    ModelOut,
)
from .service import OpenAICompatService, PreparedChat

__all__ = ["OpenAIController"]

log = structlog.get_logger("ragmono.openai_compat")
_encode = msgspec.json.Encoder().encode
EVENT_STREAM = "text/event-stream"
_DONE = b"data: [DONE]\n\n"


def _error(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=ErrorBody, generate_examples=False, description=description)


ERRORS = {
    400: _error("An invalid value; `error.param` names the field."),
    401: _error("Missing or invalid credentials."),
    403: _error("The credentials lack the scope this route needs."),
    404: _error("Unknown model (`error.code` is `model_not_found`)."),
    429: _error("Rate limit used up (Retry-After)."),
    500: _error("An unexpected error (`error.type` is `server_error`)."),
    503: _error("A dependency is unavailable (Retry-After)."),
}
"""Every /v1 error in OpenAI's body, as the OpenAPI document states it."""
BODY_ERRORS = {
    **ERRORS,
    409: _error("The collection was built by an embedder this server cannot use."),
    413: _error("The body or a message is over its configured limit."),
    415: _error("The body is not JSON."),
}
"""The errors of the operations that read a body."""


class OpenAIController(Controller):
    """The OpenAI API's shapes over ragmono: a collection is the model ``rag/<collection>``."""

    tags = ["openai"]

    @get(
        "/models",
        summary="List models (one per collection)",
        opt={"scope": "query"},
        responses=ERRORS,
    )
    async def list_models(self, openai: NamedDependency[OpenAICompatService]) -> ModelList:
        return await openai.models()

    @get(
        "/models/{model_id:path}", summary="Get one model", opt={"scope": "query"}, responses=ERRORS
    )
    async def get_model(
        self, model_id: FromPath[Path], openai: NamedDependency[OpenAICompatService]
    ) -> ModelOut:
        return await openai.model(str(model_id).lstrip("/"))

    @post(
        "/chat/completions",
        status_code=200,
        summary="Answer the last user message with citations",
        description=(
            "`model` is `rag/<collection>`. The content cites passages as `[n]`; `sources` "
            "(extension) lists them, `citations` the numbers cited. With `stream: true`, "
            "`chat.completion.chunk` Server-Sent Events end with a chunk whose "
            "`finish_reason` is set and which carries `sources` and `citations`, then "
            "`data: [DONE]`."
        ),
        opt={"scope": "query"},
        responses=BODY_ERRORS,
    )
    async def chat_completions(
        self, data: JSONBody[ChatCompletionIn], openai: NamedDependency[OpenAICompatService]
    ) -> Response[ChatCompletion] | Stream:
        if data.stream:
            chat = await openai.prepare_chat(data)  # errors still get a status line
            return Stream(
                _events(openai, chat),
                media_type=EVENT_STREAM,
                headers={"Cache-Control": "no-store"},
            )
        return Response(await openai.complete(data))

    @post(
        "/embeddings",
        status_code=200,
        summary="Embed texts",
        opt={"scope": "search"},
        responses=BODY_ERRORS,
    )
    async def embeddings(
        self, data: JSONBody[EmbeddingsIn], openai: NamedDependency[OpenAICompatService]
    ) -> EmbeddingsOut:
        return await openai.embed(data)


async def _events(openai: OpenAICompatService, chat: PreparedChat) -> AsyncGenerator[bytes, None]:
    chunks = openai.stream(chat)
    try:
        async for chunk in chunks:
            yield b"data: " + _encode(chunk) + b"\n\n"
    except Exception as exc:  # the status line is gone: report in-band as OpenAI does
        log.error("openai_stream_failed", exc_info=exc)
        error = ErrorBody(error=ErrorDetail(message="the answer failed", type="server_error"))
        yield b"data: " + _encode(error) + b"\n\n"
    finally:
        await chunks.aclose()
    yield _DONE
