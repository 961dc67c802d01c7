"""OpenAI's chat, models and embeddings over ragmono's own services (no second pipeline).

A chat completion is one ``/api/v1/query`` answer (same retrieval, prompt, generator,
fallback, cache and metrics), reshaped: the answer with its ``[n]`` markers becomes the
message, the passages the ``sources`` extension. Embeddings come from the embedder a
collection records (or a named one), so they equal the vectors stored for the same text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from ragmono.domain import CollectionSpec, Reader
from ragmono.errors import InvalidInput, NotFound
from ragmono.modules.collections import CollectionService
from ragmono.modules.query import AnswerService, SearchParams
from ragmono.modules.query.answer_service import PreparedQuery
from ragmono.modules.query.schemas import DoneEvent, QueryOut, SourceOut, SourcesEvent, TokenEvent
from ragmono.ports import Embedder, Embedders, Sampling

from .conversation import standalone_question
from .embeddings import EmbeddingLimits, check_tokens, checked_texts, count_tokens, encoded
from .schemas import (
    MODEL_PREFIX,
    ChatChoice,
    ChatChunk,
    ChatCompletion,
    ChatCompletionIn,
    ChunkChoice,
    Delta,
    EmbeddingItem,
    EmbeddingsIn,
    EmbeddingsOut,
    EmbeddingsUsage,
    MessageOut,
    ModelList,
    ModelOut,
    RagInfo,
    Source,
    Usage,
)

__all__ = ["OpenAICompatService", "PreparedChat"]


@dataclass(slots=True)
class PreparedChat:
    """A chat request checked and retrieved, ready to answer whole or stream."""

    id: str
    created: int
    model: str
    question: str
    prompt_tokens: int
    include_usage: bool
    prepared: PreparedQuery | None = None
    """The query service's retrieval and prompt (set by ``prepare_chat``)."""


class OpenAICompatService:
    """What /v1 does, in terms of the collections, query and embedder services."""

    def __init__(
        self,
        collections: CollectionService,
        answers: AnswerService,
        embedders: Embedders,
        *,
        generator_label: str,
        limits: EmbeddingLimits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._collections = collections
        self._answers = answers
        self._embedders = embedders
        self._generator_label = generator_label
        self._limits = limits or EmbeddingLimits()
        self._clock = clock

    async def models(self, reader: Reader | None = None) -> ModelList:
        """One model ``rag/<collection>`` per collection (``reader``'s tenants only)."""
        return ModelList(
            data=[
                ModelOut(
                    id=MODEL_PREFIX + spec.name,
                    created=int(spec.created_at),
                    description=(
                        spec.description
                        or f"answers from collection {spec.name!r} ({stats.points} chunks) "
                        f"with citations, by {self._generator_label}"
                    ),
                    generator=self._generator_label,
                    embedder=spec.embedder.label,
                )
                for spec, stats in await self._collections.list_with_stats(reader)
            ]
        )

    async def model(self, model_id: str, reader: Reader | None = None) -> ModelOut:
        """One model; ``NotFound`` (param ``model``) for any other name."""
        for found in (await self.models(reader)).data:
            if found.id == model_id:
                return found
        raise NotFound(f"the model {model_id!r} does not exist", field="model")

    def _collection_of(self, request: ChatCompletionIn) -> str:
        if request.collection is not None:
            return request.collection
        if request.model.startswith(MODEL_PREFIX) and len(request.model) > len(MODEL_PREFIX):
            return request.model[len(MODEL_PREFIX) :]
        raise NotFound(
            f"the model {request.model!r} does not exist; models are 'rag/<collection>' "
            "(GET /v1/models lists them)",
            field="model",
        )

    async def _params(self, request: ChatCompletionIn, reader: Reader) -> SearchParams:
        """The query the chat asks for ``reader``; ``NotFound`` (param ``model``) for an
        unknown collection, ``InvalidInput`` (param ``messages``) for a missing question."""
        collection = self._collection_of(request)
        question = standalone_question(request.messages)
        spec = await self._collection_or_none(collection)
        if spec is None or not reader.in_tenant(spec.tenant):
            raise NotFound(
                f"the model {MODEL_PREFIX + collection!r} does not exist: no collection "
                f"{collection!r} (GET /v1/models lists them)",
                field="model",
            )
        return SearchParams(
            query=question,
            collection=collection,
            top_k=request.top_k,
            mode=request.mode,
            reader=reader,
        )

    def _chat(self, request: ChatCompletionIn, params: SearchParams) -> PreparedChat:
        return PreparedChat(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            created=int(self._clock()),
            model=MODEL_PREFIX + params.collection,
            question=params.query,
            prompt_tokens=sum(count_tokens(m.text) for m in request.messages),
            include_usage=bool(request.stream_options and request.stream_options.include_usage),
        )

    async def prepare_chat(self, request: ChatCompletionIn, reader: Reader) -> PreparedChat:
        """Check the request, resolve the question and retrieve the passages ``reader`` may
        read, so every error is raised before the first streamed byte."""
        params = await self._params(request, reader)
        chat = self._chat(request, params)
        chat.prepared = await self._answers.prepare(params, sampling=_sampling(request))
        return chat

    async def complete(self, request: ChatCompletionIn, reader: Reader) -> ChatCompletion:
        """The whole answer (from what ``reader`` may read) as a ``chat.completion``."""
        params = await self._params(request, reader)
        chat = self._chat(request, params)
        out = await self._answers.answer(params, sampling=_sampling(request))
        return ChatCompletion(
            id=chat.id,
            created=chat.created,
            model=chat.model,
            choices=[ChatChoice(message=MessageOut(content=out.answer))],
            usage=_usage(chat.prompt_tokens, count_tokens(out.answer)),
            sources=[_source(s) for s in out.sources],
            citations=list(out.citations),
            ragmono=_info(chat, out),
        )

    async def _collection_or_none(self, name: str) -> CollectionSpec | None:
        try:
            return await self._collections.get(name)
        except NotFound:
            return None

    async def stream(self, chat: PreparedChat) -> AsyncGenerator[ChatChunk, None]:
        """``chat.completion.chunk``s: the role, the answer piece by piece, then a chunk with
        ``finish_reason``, the sources and citations; a usage chunk when asked for.

        Closing this iterator closes the answer's stream (and so the model call).
        """
        first = True
        completion_tokens = 0
        sources: SourcesEvent | None = None
        if chat.prepared is None:
            raise ValueError("stream() needs a chat from prepare_chat()")
        events = self._answers.stream(chat.prepared)
        try:
            async for event in events:
                if isinstance(event, TokenEvent):
                    completion_tokens += count_tokens(event.text)
                    delta = Delta(role="assistant", content=event.text) if first else None
                    first = False
                    yield self._chunk(chat, delta or Delta(content=event.text))
                elif isinstance(event, SourcesEvent):
                    sources = event
                elif isinstance(event, DoneEvent):
                    yield self._last(chat, sources, event)
        finally:
            await events.aclose()
        if chat.include_usage:
            yield ChatChunk(
                id=chat.id,
                created=chat.created,
                model=chat.model,
                choices=[],
                usage=_usage(chat.prompt_tokens, completion_tokens),
            )

    def _chunk(self, chat: PreparedChat, delta: Delta) -> ChatChunk:
        return ChatChunk(
            id=chat.id,
            created=chat.created,
            model=chat.model,
            choices=[ChunkChoice(delta=delta)],
        )

    def _last(self, chat: PreparedChat, sources: SourcesEvent | None, done: DoneEvent) -> ChatChunk:
        return ChatChunk(
            id=chat.id,
            created=chat.created,
            model=chat.model,
            choices=[ChunkChoice(delta=Delta(), finish_reason="stop")],
            sources=[_source(s) for s in sources.sources] if sources else [],
            citations=list(sources.citations) if sources else [],
            ragmono=RagInfo(
                collection=done.collection,
                question=chat.question,
                mode=done.mode,
                degraded=done.degraded,
                degraded_reason=done.degraded_reason,
                generator=done.generator,
                generator_model=done.model,
                cached=done.cached,
            ),
        )

    async def embed(self, request: EmbeddingsIn) -> EmbeddingsOut:
        """Vectors for ``input`` by the model's embedder, in OpenAI's list shape."""
        texts = checked_texts(request.input, self._limits)
        tokens = [count_tokens(t) for t in texts]
        check_tokens(tokens, self._limits)
        embedder = await self._embedder_for(request.model)
        size = embedder.ref.dimensions
        if request.dimensions is not None and request.dimensions != size:
            raise InvalidInput(
                f"dimensions {request.dimensions} is not available: model {request.model!r} "
                f"makes {size}-dimension vectors (no truncation)",
                field="dimensions",
            )
        vectors = await embedder.embed_documents(texts)
        total = sum(tokens)
        return EmbeddingsOut(
            data=[
                EmbeddingItem(index=i, embedding=encoded(v, request.encoding_format))
                for i, v in enumerate(vectors)
            ],
            model=request.model,
            usage=EmbeddingsUsage(prompt_tokens=total, total_tokens=total),
        )

    async def _embedder_for(self, model: str) -> Embedder:
        if model.startswith(MODEL_PREFIX):
            name = model[len(MODEL_PREFIX) :]
            spec = await self._collection_or_none(name)
            if spec is None:
                raise NotFound(f"the model {model!r} does not exist", field="model")
            return await self._embedders.get(spec.embedder)
        default = self._embedders.default
        if model in (default.ref.model, default.ref.label):
            return default
        if "/" in model:
            try:
                return await self._embedders.resolve(model)
            except InvalidInput as exc:
                raise NotFound(exc.detail, field="model") from None
        raise NotFound(
            f"the model {model!r} does not exist; use 'rag/<collection>', "
            f"{default.ref.model!r} or '<provider>/<model>'",
            field="model",
        )


def _usage(prompt: int, completion: int) -> Usage:
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _source(s: SourceOut) -> Source:
    return Source(
        n=s.n,
        id=s.id,
        document_id=s.document_id,
        source=s.source,
        chunk_index=s.chunk_index,
        score=s.score,
        text=s.text,
    )


def _info(chat: PreparedChat, out: QueryOut) -> RagInfo:
    return RagInfo(
        collection=out.collection,
        question=chat.question,
        mode=out.mode,
        degraded=out.degraded,
        degraded_reason=out.degraded_reason,
        generator=out.generator,
        generator_model=out.model,
        cached=out.cached,
    )


def _sampling(request: ChatCompletionIn) -> Sampling | None:
    """The request's ``temperature``, ``top_p`` and ``max_tokens``, for an LLM generator."""
    sampling = Sampling(
        temperature=request.temperature, top_p=request.top_p, max_tokens=request.max_tokens
    )
    return sampling if sampling.given() else None
