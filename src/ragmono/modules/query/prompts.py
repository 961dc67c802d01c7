"""The grounded-answer prompt, and the citation rules applied to what comes back.

The user message lists the passages, numbered from 1, then the question::

    [1] Every employee receives 25 days of paid annual leave ...

    [2] Open Settings, choose Security and click Forgot password ...

    Question: how many vacation days do I get?

The extractive answerer (``adapters/extractive.py``) reads this same layout, so a change here
must be made there too (``tests/unit/adapters/test_extractive.py`` checks they agree).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragmono.domain import ScoredChunk
from ragmono.ports import ChatMessage

__all__ = ["SYSTEM_PROMPT", "CitationFilter", "build_messages", "clean_citations"]

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages you are given. After each claim, "
    "cite the passage it comes from by its number in square brackets, like [1] or [2][3]. "
    "Cite only passages you were given. If the passages do not contain the answer, say that "
    "you do not know instead of guessing. Answer concisely, in the language of the question."
)

_CITATION = re.compile(r"(\s?)\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# What may still become a citation at the end of a streamed buffer: spaces, then "[1, 2".
_OPEN_TAIL = re.compile(r"\s*(?:\[[\d,\s]{0,30})?\Z")


def build_messages(question: str, passages: Sequence[ScoredChunk]) -> list[ChatMessage]:
    """System instructions, then the numbered passages and the question."""
    # Sources stay out of the prompt: the model cites numbers, the response maps them.
    blocks = [f"[{n}] {p.chunk.text.strip()}" for n, p in enumerate(passages, start=1)]
    user = "\n\n".join([*blocks, f"Question: {question.strip()}"])
    return [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", user)]


def clean_citations(text: str, count: int, cited: list[int] | None = None) -> str:
    """``text`` without citations to passages outside 1..``count``.

    ``[1, 7]`` with two passages becomes ``[1]``; ``[7]`` disappears with the space before it.
    Valid numbers are appended to ``cited`` (first appearance order, no repeats).
    """
    seen = cited if cited is not None else []

    def keep(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(2))]
        valid = [n for n in numbers if 1 <= n <= count]
        for n in valid:
            if n not in seen:
                seen.append(n)
        if not valid:
            return ""
        return match.group(1) + "".join(f"[{n}]" for n in valid)

    return _CITATION.sub(keep, text)


class CitationFilter:
    """:func:`clean_citations` over a token stream.

    A citation can arrive split across tokens (``[``, ``1``, ``]``), so a tail that may still
    become one is held back until it is complete or clearly is not.
    """

    def __init__(self, count: int) -> None:
        self._count = count
        self._held = ""
        self.cited: list[int] = []
        """Valid passage numbers cited so far, in order of first appearance."""

    def feed(self, token: str) -> str:
        """The text that can be shown now."""
        buffer = self._held + token
        tail = _OPEN_TAIL.search(buffer)
        cut = tail.start() if tail else len(buffer)
        self._held = buffer[cut:]
        return clean_citations(buffer[:cut], self._count, self.cited)

    def flush(self) -> str:
        """Whatever was held back, cleaned, at the end of the stream."""
        rest, self._held = self._held, ""
        return clean_citations(rest, self._count, self.cited)
