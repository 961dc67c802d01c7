"""Bodies of /v1 in OpenAI's shapes, plus ragmono's documented extension fields.

Requests accept (and ignore) fields OpenAI defines that ragmono has no use for (``n``,
``stop``, ``seed``, ...), so existing clients work unchanged; the fields ragmono reads are
declared with their limits. Responses add ``sources``, ``citations`` and ``ragmono`` beside
OpenAI's fields: SDKs keep unknown fields (``completion.model_extra["sources"]``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

__all__ = [
    "ChatChoice",
    "ChatChunk",
    "ChatCompletion",
    "ChatCompletionIn",
    "ChunkChoice",
    "Delta",
    "EmbeddingItem",
    "EmbeddingsIn",
    "EmbeddingsOut",
    "EmbeddingsUsage",
    "MessageIn",
    "MessageOut",
    "ModelList",
    "ModelOut",
    "RagInfo",
    "Source",
    "StreamOptions",
    "Usage",
]

MODEL_PREFIX = "rag/"
"""A collection is the model ``rag/<collection>``."""


class _In(msgspec.Struct, kw_only=True, frozen=True):
    """Base of /v1 request bodies: unknown OpenAI fields are tolerated (clients send them)."""


class MessageIn(_In, frozen=True):
    """One chat message; ``content`` is text or OpenAI's list of content parts."""

    role: str
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None

    @property
    def text(self) -> str:
        """The message's text (text parts joined by a space; images and audio ignored)."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        parts = [p.get("text") for p in self.content if p.get("type") == "text"]
        return " ".join(str(p) for p in parts if p)


class StreamOptions(_In, frozen=True):
    """``stream_options``: ``include_usage`` adds a last chunk with token counts."""

    include_usage: bool = False


class ChatCompletionIn(_In, frozen=True):
    """POST /v1/chat/completions."""

    model: Annotated[str, Meta(min_length=1, max_length=200)]
    """``rag/<collection>``; any name when the ``collection`` extension field is given."""
    messages: Annotated[list[MessageIn], Meta(min_length=1, max_length=256)]
    """The last one is the question (role ``user``); earlier user turns resolve follow-ups."""
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: Annotated[float, Meta(ge=0, le=2)] | None = None
    top_p: Annotated[float, Meta(ge=0, le=1)] | None = None
    max_tokens: Annotated[int, Meta(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1)] | None = None
    n: Annotated[int, Meta(ge=1, le=1)] = 1
    """Only one choice is made."""
    collection: (
        Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Extension.")] | None
    ) = None
    """Extension: the collection to answer from (instead of ``model``)."""
    top_k: Annotated[int, Meta(ge=1, le=20)] = 5
    """Extension: passages given to the generator."""
    mode: Literal["dense", "keyword", "hybrid"] = "hybrid"
    """Extension: how passages are searched."""


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """A passage given to the generator; the answer cites it as ``[n]``."""

    n: int
    id: str
    document_id: str
    source: str
    chunk_index: int
    score: float
    text: str


class RagInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Extension ``ragmono``: how the answer was made (as ``/api/v1/query`` reports it)."""

    collection: str
    question: str
    """The question searched: the last user message, joined to the previous one for a
    follow-up."""
    mode: str
    degraded: bool
    degraded_reason: str | None
    generator: str
    generator_model: str
    cached: bool


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    """Token counts (words and punctuation marks, an approximation of any tokenizer)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class MessageOut(msgspec.Struct, frozen=True, kw_only=True):
    """The assistant's answer with ``[n]`` citation markers."""

    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(msgspec.Struct, frozen=True, kw_only=True):
    """The one choice."""

    index: int = 0
    message: MessageOut
    finish_reason: Literal["stop", "length"] = "stop"
    logprobs: None = None


class ChatCompletion(msgspec.Struct, frozen=True, kw_only=True):
    """OpenAI's ``chat.completion`` plus ``sources``, ``citations`` and ``ragmono``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    sources: list[Source]
    """Extension: the passages; ``[n]`` in the content is ``sources[n-1]``."""
    citations: list[int]
    """Extension: the passage numbers the answer cites, in order of first appearance."""
    ragmono: RagInfo


class Delta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The next piece of the answer."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(msgspec.Struct, frozen=True, kw_only=True):
    """The one choice of a chunk; ``finish_reason`` is set on the last one."""

    index: int = 0
    delta: Delta
    finish_reason: Literal["stop", "length"] | None = None
    logprobs: None = None


class ChatChunk(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """OpenAI's ``chat.completion.chunk``; the chunk that finishes carries the sources."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    sources: list[Source] | None = None
    citations: list[int] | None = None
    ragmono: RagInfo | None = None


class ModelOut(msgspec.Struct, frozen=True, kw_only=True):
    """One collection as a model, with what answers from it (extension fields)."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "ragmono"
    description: str
    generator: str
    """Extension: the generator that answers (``extractive`` or ``<provider>/<model>``)."""
    embedder: str
    """Extension: the collection's embedder (``<provider>/<model>``)."""


class ModelList(msgspec.Struct, frozen=True, kw_only=True):
    """GET /v1/models."""

    object: Literal["list"] = "list"
    data: list[ModelOut]


class EmbeddingsIn(_In, frozen=True):
    """POST /v1/embeddings."""

    input: str | list[Any]
    """A text or a list of texts (token arrays are refused)."""
    model: Annotated[str, Meta(min_length=1, max_length=200)]
    """``rag/<collection>`` (that collection's embedder), ``<provider>/<model>``, or the
    configured embedder's model name."""
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Meta(ge=1)] | None = None
    """Refused unless equal to the model's size (no truncation)."""
    user: str | None = None


class EmbeddingItem(msgspec.Struct, frozen=True, kw_only=True):
    """One vector: floats, or base64 of little-endian float32."""

    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class EmbeddingsUsage(msgspec.Struct, frozen=True, kw_only=True):
    """Tokens counted as in ``Usage``."""

    prompt_tokens: int
    total_tokens: int


class EmbeddingsOut(msgspec.Struct, frozen=True, kw_only=True):
    """OpenAI's embeddings list."""

    object: Literal["list"] = "list"
    data: list[EmbeddingItem]
    model: str
    usage: EmbeddingsUsage
