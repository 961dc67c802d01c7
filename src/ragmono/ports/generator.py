"""The answerer port: a question and structured passages in, an answer (or its tokens) out.

The query service hands every answerer the same data: the question, the retrieved passages
(number, id, text, source, section, page) and the collection's embedder with the question's
vector already made by search. Each adapter does what it needs with it: the LLM adapter
writes its own prompt, the extractive answerer scores sentences by meaning and by words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import msgspec

from ragmono.domain import DependencyHealth
from ragmono.ports.embedder import Embedder


class ChatMessage(msgspec.Struct, frozen=True):
    """One message of a chat prompt (what LLM adapters send)."""

    role: Literal["system", "user", "assistant"]
    content: str


class Passage(msgspec.Struct, frozen=True, kw_only=True):
    """One retrieved passage as an answerer sees it; cited as ``[n]``."""

    n: int
    id: str
    text: str
    source: str
    section: str = ""
    page: int | None = None
    unit_vectors: str = ""
    """Its answer units' vectors from ingest (the chunk's ``unit_vectors``), if any."""


class Sampling(msgspec.Struct, frozen=True, kw_only=True):
    """How a model should write one answer; None keeps the generator's configured value.

    LLM adapters pass these on (Ollama as ``temperature``/``top_p``/``num_predict``); the
    extractive answerer does not sample and ignores them.
    """

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None

    def given(self) -> dict[str, float | int]:
        """The fields a caller set, by name."""
        fields: dict[str, float | int | None] = msgspec.structs.asdict(self)
        return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """What an answerer is asked: the question and the passages found for it.

    ``embedder`` is the collection's own (its vectors match ``question_vector``); None when
    it is unavailable, and then answerers that use meaning fall back to words alone.
    """

    question: str
    passages: Sequence[Passage]
    embedder: Embedder | None = None
    question_vector: Sequence[float] | None = None
    sampling: Sampling | None = None
    """Per-request sampling (OpenAI's ``temperature``, ``top_p``, ``max_tokens``)."""


class Generator(Protocol):
    """An answerer: writes or extracts an answer citing the passages as ``[n]``.

    Raises ``DependencyUnavailable`` when the model cannot answer; the query service then
    falls back to the extractive answerer and flags the answer ``degraded``.
    """

    @property
    def name(self) -> str:
        """Provider name shown in answers: ``extractive`` or ``ollama``."""
        ...

    @property
    def model(self) -> str:
        """Model name shown in answers (empty for the extractive answerer)."""
        ...

    async def generate(self, request: AnswerRequest) -> str:
        """The whole answer at once."""
        ...

    def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The answer token by token (the tokens joined are the whole answer); closing the
        iterator cancels the call."""
        ...

    async def health(self) -> DependencyHealth:
        """Whether answers can be generated now."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


Answerer = Generator
"""The port's name in design.md (section 10); ``Generator`` is kept for existing imports."""

__all__ = ["AnswerRequest", "Answerer", "ChatMessage", "Generator", "Passage"]
