"""The grounded-answer chat prompt an LLM answerer builds from the structured passages.

The user message lists the passages, numbered from 1, each followed by where it comes from,
then the question::

    [1] Every employee receives 25 days of paid annual leave ...
    (from handbook.md, Leave > Annual leave)

    [2] Open Settings, choose Security and click Forgot password ...
    (from it-guide.pdf, page 4)

    Question: how many vacation days do I get?
"""

from __future__ import annotations

from ragmono.ports import AnswerRequest, ChatMessage, Passage

__all__ = ["SYSTEM_PROMPT", "build_messages"]

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages you are given. After each claim, "
    "cite the passage it comes from by its number in square brackets, like [1] or [2][3]. "
    "Cite only passages you were given. If the passages do not contain the answer, say that "
    "you do not know instead of guessing. Answer concisely, in the language of the question."
)


def _origin(passage: Passage) -> str:
    where = [passage.source] if passage.source else []
    if passage.section:
        where.append(passage.section)
    if passage.page is not None:
        where.append(f"page {passage.page}")
    return f"\n(from {', '.join(where)})" if where else ""


def build_messages(request: AnswerRequest) -> list[ChatMessage]:
    """System instructions, then the numbered passages (with their origin) and the question."""
    blocks = [f"[{p.n}] {p.text.strip()}{_origin(p)}" for p in request.passages]
    user = "\n\n".join([*blocks, f"Question: {request.question.strip()}"])
    return [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", user)]
