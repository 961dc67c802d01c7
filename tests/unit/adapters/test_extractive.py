"""The extractive answerer quotes the whole span that holds the fact, cited by passage number.

It runs with the real local embedder (meaning) and without one (words only); passages come
from the real parsers where their shape matters (a hard-wrapped manual, a code fence).
"""

from __future__ import annotations

import pytest

from ragmono.adapters.extractive import NO_PASSAGES_ANSWER, ExtractiveGenerator
from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.modules.ingest import ParseLimits
from ragmono.modules.ingest.parsing import parse_file
from ragmono.ports import AnswerRequest, Embedder, Passage
from tests.support.corpus import HANDBOOK
from tests.support.embedders import MemoEmbedder


def handbook(*doc_ids: str) -> list[Passage]:
    by_id = {d.id: d for d in HANDBOOK}
    texts = [(doc_id, text) for doc_id in doc_ids for text in by_id[doc_id].chunks]
    return [
        Passage(n=n, id=f"{doc_id}-{n}", text=text, source=by_id[doc_id].source)
        for n, (doc_id, text) in enumerate(texts, start=1)
    ]


async def ask(question: str, passages: list[Passage], embedder: Embedder | None = None) -> str:
    vector = await embedder.embed_query(question) if embedder is not None else None
    request = AnswerRequest(
        question=question, passages=passages, embedder=embedder, question_vector=vector
    )
    return await ExtractiveGenerator().generate(request)


@pytest.fixture
def embedder(local_embedder: OnnxEmbedder) -> MemoEmbedder:
    return MemoEmbedder(local_embedder)


MANUAL_MD = b"""# Configuration

The service reads its settings from a TOML file at start-up. Options can
be set with environment variables using the RAGMONO_ prefix and a double
underscore between section and key. Unknown keys are rejected with an
error that names the key.

## Limits

Uploads are refused above the configured size. The default upload
limit is 25 MiB per file, counted after decompression. Larger files
must be split before they are sent.

Supported archive formats are:

- zip files, read member by member
- gzip-compressed tar archives, which are unpacked into a
  temporary directory first
- plain tar archives

To start the server on another port, run:

```
ragmono serve --port 9000
```

The port must be free.
"""


def manual() -> list[Passage]:
    text = parse_file("manual.md", MANUAL_MD, ParseLimits()).text
    halves = text.split("## Limits")
    return [
        Passage(n=1, id="m-1", text=halves[0], source="manual.md"),
        Passage(n=2, id="m-2", text="## Limits" + halves[1], source="manual.md"),
    ]


@pytest.mark.parametrize("with_meaning", [True, False])
@pytest.mark.parametrize(
    ("question", "expected", "cited"),
    [
        # Mid-paragraph: the third sentence of a paragraph, not its opening.
        (
            "What is the default upload limit per file?",
            "The default upload limit is 25 MiB per file, counted after decompression.",
            "[2]",
        ),
        # Across a hard line break: the sentence goes on after "can" on the next line.
        (
            "How can options be set with environment variables?",
            "Options can be set with environment variables using the RAGMONO_ prefix and a "
            "double underscore between section and key.",
            "[1]",
        ),
        # A list item, quoted whole with its lead-in.
        (
            "What happens to gzip-compressed tar archives?",
            "Supported archive formats are: - gzip-compressed tar archives, which are unpacked "
            "into a temporary directory first",
            "[2]",
        ),
        # After a code fence: the command, with the sentence that introduces it.
        (
            "Which command starts the server on another port?",
            "To start the server on another port, run: `ragmono serve --port 9000`",
            "[2]",
        ),
    ],
)
async def test_answers_with_the_whole_span_that_holds_the_fact(
    embedder: MemoEmbedder, with_meaning: bool, question: str, expected: str, cited: str
) -> None:
    answer = await ask(question, manual(), embedder if with_meaning else None)
    assert f"{expected} {cited}" in answer
    assert len(answer.split()) <= len(expected.split()) + 30  # at most one more short span


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
async def test_cites_the_passage_that_holds_the_fact(
    embedder: MemoEmbedder, question: str, fact: str, cited: str
) -> None:
    answer = await ask(question, handbook("leave", "password", "expenses", "access"), embedder)
    span = next(s for s in answer.split("] ") if fact in s)
    assert span.rstrip("]").endswith(cited.rstrip("]"))


async def test_a_paraphrase_is_answered_by_meaning(embedder: MemoEmbedder) -> None:
    passages = [
        Passage(
            n=1,
            id="p",
            source="pets.txt",
            text="Dogs need a walk twice a day. Cats sleep for most of the afternoon. "
            "Goldfish live in a bowl of water.",
        )
    ]
    answer = await ask("How often should a hound be taken outside?", passages, embedder)
    assert answer == "Dogs need a walk twice a day. [1]"


async def test_candidate_vectors_are_cached_per_passage(embedder: MemoEmbedder) -> None:
    generator = ExtractiveGenerator()
    passages = handbook("leave", "password")
    for question in ("How long is the reset link valid?", "Is the reset link valid for long?"):
        request = AnswerRequest(
            question=question,
            passages=passages,
            embedder=embedder,
            question_vector=await embedder.embed_query(question),
        )
        before = embedder.computed
        await generator.generate(request)
        embedded = embedder.computed - before
    assert embedded == 0  # the second question re-used the vectors of the sentences it needs


async def test_stream_is_the_same_answer_word_by_word_and_deterministic(
    embedder: MemoEmbedder,
) -> None:
    question = "When is the fridge emptied?"
    request = AnswerRequest(
        question=question,
        passages=handbook("kitchen", "leave"),
        embedder=embedder,
        question_vector=await embedder.embed_query(question),
    )
    generator = ExtractiveGenerator()
    whole = await generator.generate(request)
    tokens = [t async for t in generator.stream(request)]
    assert len(tokens) > 5
    assert "".join(tokens) == whole
    assert whole == await ExtractiveGenerator().generate(request)
    assert "Thursdays" in whole


async def test_nothing_related_says_so_and_quotes_the_top_passage(
    embedder: MemoEmbedder,
) -> None:
    answer = await ask("What is the capital of France?", handbook("leave", "kitchen"), embedder)
    assert answer.startswith("The passages found do not answer this directly.")
    assert answer.endswith("[1]")
    assert "25 days" in answer  # the opening sentence, not the "Annual leave." heading


async def test_without_passages_it_says_it_has_none() -> None:
    assert await ask("anything?", []) == NO_PASSAGES_ANSWER


VALGRIND = (
    "Memcheck reports uses of uninitialised values. Try using the --track-origins=yes "
    "option to get extra information. This makes Memcheck run slower, but the extra "
    "information often saves a lot of time figuring out where the uninitialised values "
    "are coming from. The output goes to standard error by default."
)


@pytest.mark.parametrize("with_meaning", [True, False])
async def test_a_sentence_that_points_back_comes_with_the_one_before(
    embedder: MemoEmbedder, with_meaning: bool
) -> None:
    """ "This makes ..." alone would not say what "this" is: the option is in the sentence
    before it, so the answer quotes both (whole, in order)."""
    passages = [Passage(n=1, id="v", text=VALGRIND, source="valgrind/quick-start.html")]
    answer = await ask(
        "What tells where uninitialised values come from?",
        passages,
        embedder if with_meaning else None,
    )
    assert "Try using the --track-origins=yes option to get extra information. This makes" in (
        answer
    )
    assert answer.endswith("are coming from. [1]")
