"""The generator port: passages and a question in, an answer (or its tokens) out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Literal, Protocol

import msgspec

from ragmono.domain import DependencyHealth


class ChatMessage(msgspec.Struct, frozen=True):
    """One message of a chat prompt."""

    role: Literal["system", "user", "assistant"]
    content: str


class Generator(Protocol):
    """Writes an answer for a prompt built by the query service.

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

    async def generate(self, messages: Sequence[ChatMessage]) -> str:
        """The whole answer at once."""
        ...

    def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """The answer token by token; closing the iterator cancels the call."""
        ...

    async def health(self) -> DependencyHealth:
        """Whether answers can be generated now."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
