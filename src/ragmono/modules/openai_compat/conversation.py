"""From a chat history to one standalone question, deterministically (no LLM involved).

The last message is the question. A follow-up ("and how long is it kept?") means nothing to a
search on its own, so it is searched together with the previous user question: a question is
a follow-up when it refers back (a pronoun such as *it*, *they*, *that*, *those*), opens as a
continuation (*and*, *also*, *what about*, *how about*), or has at most three words. Only the
previous user question is joined, not the whole history: older turns would drown the new one.
System and assistant messages are not searched (ragmono writes its own grounded prompt).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragmono.errors import InvalidInput

from .schemas import MessageIn

__all__ = ["MAX_QUESTION_CHARS", "is_follow_up", "standalone_question"]

MAX_QUESTION_CHARS = 2000
"""The longest question searched (as ``/api/v1/query`` accepts)."""

_REFERS_BACK = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|this|that|these|those|he|him|his|she|her|"
    r"hers|there|one|ones|same|former|latter)\b",
    re.IGNORECASE,
)
_CONTINUES = re.compile(r"^\W*(and|also|or|but|so|then|what about|how about)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def is_follow_up(question: str) -> bool:
    """Whether ``question`` needs the previous one to be understood (see module docstring)."""
    return bool(
        _REFERS_BACK.search(question)
        or _CONTINUES.search(question)
        or len(_WORD.findall(question)) <= 3
    )


def standalone_question(messages: Sequence[MessageIn]) -> str:
    """The question to search and answer; ``InvalidInput`` naming ``messages`` when none."""
    last = messages[-1]
    if last.role != "user":
        raise InvalidInput("the last message must be the user's question", field="messages")
    question = last.text.strip()
    if not question:
        raise InvalidInput("the last user message has no text", field="messages")
    earlier = [m.text.strip() for m in messages[:-1] if m.role == "user" and m.text.strip()]
    if earlier and is_follow_up(question):
        question = f"{earlier[-1]} {question}"
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"the question is longer than {MAX_QUESTION_CHARS} characters", field="messages"
        )
    return question
