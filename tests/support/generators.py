"""Answerer twins: scripted answers, failures and slow streams that record cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ragmono.domain import DependencyHealth
from ragmono.errors import DependencyUnavailable
from ragmono.ports import AnswerRequest


class ScriptedGenerator:
    """Answers with ``text`` (streamed word by word, ``delay_s`` apart); records what it saw.

    ``fail_after`` words into a stream (0: at once, also for ``generate``) it raises
    DependencyUnavailable as an open breaker or a dropped connection would.
    """

    def __init__(
        self,
        text: str,
        *,
        delay_s: float = 0.0,
        fail_after: int | None = None,
        name: str = "scripted",
        model: str = "script-1",
    ) -> None:
        self.text = text
        self.delay_s = delay_s
        self.fail_after = fail_after
        self._name = name
        self._model = model
        self.requests: list[AnswerRequest] = []
        self.streams_opened = 0
        self.streams_closed = 0
        self.cancelled = asyncio.Event()

    @property
    def name(self) -> str:
        """As given."""
        return self._name

    @property
    def model(self) -> str:
        """As given."""
        return self._model

    async def generate(self, request: AnswerRequest) -> str:
        """The scripted text, or DependencyUnavailable when ``fail_after == 0``."""
        self.requests.append(request)
        if self.fail_after == 0:
            raise DependencyUnavailable("ollama_generate", "connection refused")
        return self.text

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Word by word; notes whether it was closed before the end."""
        self.requests.append(request)
        self.streams_opened += 1
        finished = False
        try:
            for i, word in enumerate(self.text.split(" ")):
                if self.fail_after is not None and i >= self.fail_after:
                    raise DependencyUnavailable("ollama_generate", "stream dropped")
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                yield word if i == 0 else " " + word
            finished = True
        finally:
            self.streams_closed += 1
            if not finished:
                self.cancelled.set()

    async def health(self) -> DependencyHealth:
        """Reachable unless it fails at once."""
        return DependencyHealth(
            name="generator", mode=self._name, reachable=self.fail_after != 0, required=False
        )

    async def close(self) -> None:
        """Nothing to release."""
