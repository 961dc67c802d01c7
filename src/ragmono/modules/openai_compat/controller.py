"""HTTP for /v1: OpenAI's models, chat completions (whole or as SSE chunks) and embeddings."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import msgspec
import structlog
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
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


class OpenAIController(Controller):
    """The OpenAI API's shapes over ragmono: a collection is the model ``rag/<collection>``."""

    tags = ["openai"]

    @get("/models", summary="List models (one per collection)", opt={"scope": "query"})
    async def list_models(self, openai: NamedDependency[OpenAICompatService]) -> ModelList:
        return await openai.models()

    @get("/models/{model_id:path}", summary="Get one model", opt={"scope": "query"})
    async def get_model(
        self, model_id: str, openai: NamedDependency[OpenAICompatService]
    ) -> ModelOut:
        return await openai.model(model_id.lstrip("/"))

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

    @post("/embeddings", status_code=200, summary="Embed texts", opt={"scope": "search"})
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
