"""The extractive answerer quotes the sentence that answers, cited by passage number."""

from __future__ import annotations

import pytest

from ragmono.adapters.extractive import NO_PASSAGES_ANSWER, ExtractiveGenerator, parse_prompt
from ragmono.domain import Chunk, ScoredChunk
from ragmono.modules.query.prompts import build_messages
from tests.support.corpus import HANDBOOK


def passages(*doc_ids: str) -> list[ScoredChunk]:
    by_id = {d.id: d for d in HANDBOOK}
    return [
        ScoredChunk(
            id=f"{doc_id}-{i}",
            score=1.0,
            chunk=Chunk(
                document_id=doc_id,
                source=by_id[doc_id].source,
                chunk_index=i,
                chunk_total=len(by_id[doc_id].chunks),
                content_hash="",
                text=text,
            ),
        )
        for doc_id in doc_ids
        for i, text in enumerate(by_id[doc_id].chunks)
    ]


def test_it_reads_the_prompt_the_query_service_writes() -> None:
    given = passages("leave", "password")
    question, parsed = parse_prompt(build_messages("  How long is the link valid? ", given))
    assert question == "How long is the link valid?"
    assert parsed == [(1, given[0].chunk.text), (2, given[1].chunk.text)]


@pytest.mark.parametrize(
    ("question", "fact", "cited"),
    [
        ("How long does the password reset link stay valid?", "30 minutes", "[2]"),
        ("How many days of paid annual leave does an employee get?", "25 days", "[1]"),
        ("Until when can unused vacation days be carried over?", "end of March", "[1]"),
        ("How much is reimbursed for meals per day?", "60 euros", "[3]"),
        ("Who replaces lost badges?", "facilities desk", "[4]"),
    ],
)
async def test_answers_with_the_sentence_that_holds_the_fact(
    question: str, fact: str, cited: str
) -> None:
    messages = build_messages(question, passages("leave", "password", "expenses", "access"))
    answer = await ExtractiveGenerator().generate(messages)
    sentence_with_fact = next(s for s in answer.split("] ") if fact in s)
    assert sentence_with_fact.rstrip("]").endswith(cited.rstrip("]"))


async def test_stream_is_the_same_answer_word_by_word_and_deterministic() -> None:
    messages = build_messages("When is the fridge emptied?", passages("kitchen", "leave"))
    generator = ExtractiveGenerator()
    whole = await generator.generate(messages)
    tokens = [t async for t in generator.stream(messages)]
    assert len(tokens) > 5
    assert "".join(tokens) == whole
    assert whole == await ExtractiveGenerator().generate(messages)
    assert "Thursdays" in whole


async def test_no_shared_word_says_so_and_quotes_the_top_passage() -> None:
    messages = build_messages("What is the capital of France?", passages("leave", "kitchen"))
    answer = await ExtractiveGenerator().generate(messages)
    assert answer.startswith("The passages found do not answer this directly.")
    assert answer.endswith("[1]")
    assert "25 days" in answer  # the opening sentence, not the "Annual leave." heading


async def test_without_passages_it_says_it_has_none() -> None:
    assert await ExtractiveGenerator().generate(build_messages("anything?", [])) == (
        NO_PASSAGES_ANSWER
    )
