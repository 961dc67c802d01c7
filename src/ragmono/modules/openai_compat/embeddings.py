"""Embeddings in OpenAI's terms: input checks, OpenAI's limits, token counts, encodings."""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ragmono.errors import InvalidInput

__all__ = ["EmbeddingLimits", "check_tokens", "checked_texts", "count_tokens", "encoded"]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Words and punctuation marks: a tokenizer-free approximation of token counts."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class EmbeddingLimits:
    """OpenAI's limits on one embeddings request (tokens counted by ``count_tokens``)."""

    max_inputs: int = 2048
    max_input_tokens: int = 8192
    max_total_tokens: int = 300_000


def checked_texts(given: str | list[object], limits: EmbeddingLimits) -> list[str]:
    """The texts of ``input``; ``InvalidInput`` (param ``input``) beyond the limits."""
    texts = [given] if isinstance(given, str) else given
    if not texts:
        raise InvalidInput("input is empty: send a text or a list of texts", field="input")
    if len(texts) > limits.max_inputs:
        raise InvalidInput(
            f"input has {len(texts)} texts; at most {limits.max_inputs} per request",
            field="input",
        )
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidInput(
                f"input[{index}] is not a text: token arrays are not supported, send text",
                field="input",
            )
        if not text.strip():
            raise InvalidInput(f"input[{index}] is empty", field="input")
    return [str(t) for t in texts]


def check_tokens(tokens: Sequence[int], limits: EmbeddingLimits) -> None:
    """``InvalidInput`` (param ``input``) when a text or all of them hold too many tokens."""
    for index, count in enumerate(tokens):
        if count > limits.max_input_tokens:
            raise InvalidInput(
                f"input[{index}] has {count} tokens; at most {limits.max_input_tokens}",
                field="input",
            )
    if sum(tokens) > limits.max_total_tokens:
        raise InvalidInput(
            f"input has {sum(tokens)} tokens in all; at most {limits.max_total_tokens} per request",
            field="input",
        )


def encoded(vector: list[float], encoding: Literal["float", "base64"]) -> list[float] | str:
    """The vector as floats, or as OpenAI's base64: its little-endian float32 bytes."""
    if encoding == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
