"""A chat history becomes one standalone question, deterministically."""

from __future__ import annotations

import pytest

from ragmono.errors import InvalidInput
from ragmono.modules.openai_compat import is_follow_up, standalone_question
from ragmono.modules.openai_compat.schemas import MessageIn

FIRST = "How long does the password reset link stay valid?"


def chat(*turns: tuple[str, str]) -> list[MessageIn]:
    return [MessageIn(role=role, content=text) for role, text in turns]


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("And what about contractors?", True),
        ("Is it emailed?", True),
        ("What happens to those files?", True),
        ("why?", True),
        ("How many days of paid annual leave does an employee get?", False),
        ("When is the fridge emptied on the third floor?", False),
    ],
)
def test_what_counts_as_a_follow_up(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_a_follow_up_is_joined_to_the_previous_user_question() -> None:
    messages = chat(
        ("system", "Be brief."),
        ("user", FIRST),
        ("assistant", "30 minutes [1]."),
        ("user", "And after five failed attempts?"),
    )
    assert standalone_question(messages) == f"{FIRST} And after five failed attempts?"


def test_a_standalone_question_is_searched_alone() -> None:
    messages = chat(
        ("user", FIRST), ("assistant", "30 minutes."), ("user", "When is the fridge emptied?")
    )
    assert standalone_question(messages) == "When is the fridge emptied?"


def test_content_parts_are_read_as_text() -> None:
    parts = [{"type": "text", "text": "When is the"}, {"type": "image_url", "image_url": {}},
             {"type": "text", "text": "fridge emptied?"}]  # fmt: skip
    assert standalone_question([MessageIn(role="user", content=parts)]) == (
        "When is the fridge emptied?"
    )


@pytest.mark.parametrize(
    "messages",
    [
        chat(("user", FIRST), ("assistant", "30 minutes.")),
        chat(("user", "   ")),
        chat(("user", "x" * 2001)),
    ],
)
def test_no_usable_question_is_invalid_input_naming_messages(messages: list[MessageIn]) -> None:
    with pytest.raises(InvalidInput) as raised:
        standalone_question(messages)
    assert raised.value.field == "messages"
