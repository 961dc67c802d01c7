"""Citation rules applied to any answer, and the word tokens answers are streamed in.

Answerers cite passages as ``[n]``; :func:`clean_citations` drops numbers outside the passages
given (a model can invent them). :class:`WordStream` turns any token stream into words, each
with the white space before it, so a live stream and its cached replay match token for token.
"""

from __future__ import annotations

import re

__all__ = ["CitationFilter", "WordStream", "clean_citations", "word_tokens"]

_CITATION = re.compile(r"(\s?)\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
# What may still become a citation at the end of a streamed buffer: spaces, then "[1, 2".
_OPEN_TAIL = re.compile(r"\s*(?:\[[\d,\s]{0,30})?\Z")
_WORD_TOKEN = re.compile(r"\s*\S+")


def word_tokens(text: str) -> list[str]:
    """``text`` (outer white space dropped) as words, each with the white space before it."""
    return _WORD_TOKEN.findall(text.strip())


class WordStream:
    """:func:`word_tokens` over pieces that split words anywhere.

    A word is given out once white space after it shows it is complete; leading white space
    of the whole stream and trailing white space at its end are dropped, as ``strip`` would.
    """

    def __init__(self) -> None:
        self._held = ""
        self._started = False

    def feed(self, piece: str) -> list[str]:
        """The words completed by ``piece``."""
        buffer = self._held + piece
        if not self._started:
            buffer = buffer.lstrip()
        tokens = _WORD_TOKEN.findall(buffer)
        if tokens and not buffer[-1:].isspace():
            tokens.pop()  # the last word may go on in the next piece
        used = sum(len(t) for t in tokens)
        self._held = buffer[used:]
        if tokens:
            self._started = True
        return tokens

    def flush(self) -> list[str]:
        """The last word, at the end of the stream."""
        rest, self._held = self._held, ""
        return _WORD_TOKEN.findall(rest.rstrip()) if self._started else word_tokens(rest)


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
