"""Answer-unit vectors made at ingest by the local embedder (late chunking) and read back by
the extractive answerer, so a question costs no sentence embedding."""

from __future__ import annotations

import numpy as np
import pytest

from ragmono.adapters.extractive import ExtractiveGenerator
from ragmono.adapters.extractive_units import units
from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.adapters.unit_vectors import decode
from ragmono.ports import AnswerRequest, Passage
from tests.support.embedders import MemoEmbedder

MANUAL = (
    "Memcheck reports uses of uninitialised values. Try using the --track-origins=yes "
    "option to get extra information. This makes Memcheck run slower, but the extra "
    "information often saves a lot of time figuring out where the uninitialised values "
    "are coming from.\n"
    "Memcheck is not perfect. However, it is typically right 99% of the time, so you "
    "should be wary of ignoring its error messages."
)
OTHER = "Compile your program with -g to include debugging information. Use -O0 as well."


@pytest.fixture
def embedder(local_embedder: OnnxEmbedder) -> MemoEmbedder:
    return MemoEmbedder(local_embedder)


async def test_a_passage_vector_is_the_same_as_a_document_vector(
    local_embedder: OnnxEmbedder,
) -> None:
    passages, _ = await local_embedder.embed_passages([MANUAL, OTHER])
    documents = await local_embedder.embed_documents([MANUAL, OTHER])
    assert np.allclose(passages, documents, atol=1e-5)


async def test_a_passage_without_answer_units_gets_none(local_embedder: OnnxEmbedder) -> None:
    vectors, stored = await local_embedder.embed_passages(["# Heading only", "```\n```"])
    assert stored == ["", ""]
    assert all(len(v) == 384 for v in vectors)


async def test_unit_vectors_decode_only_for_their_embedder_and_text(
    local_embedder: OnnxEmbedder,
) -> None:
    _, (stored, _) = await local_embedder.embed_passages([MANUAL, OTHER])
    texts = [u.text for u in units(MANUAL)]
    label = local_embedder.ref.label
    vectors = decode(stored, label, texts, 384)
    assert vectors is not None
    assert len(vectors) == len(texts) >= 4
    assert all(abs(float(np.linalg.norm(v)) - 1.0) < 1e-5 for v in vectors)
    assert decode(stored, "ollama/nomic-embed-text", texts, 384) is None
    assert decode(stored, label, [*texts[:-1], "Another sentence."], 384) is None
    assert decode(stored[:-8], label, texts, 384) is None  # cut short


async def ask(embedder: MemoEmbedder, question: str, passages: list[Passage]) -> str:
    request = AnswerRequest(
        question=question,
        passages=passages,
        embedder=embedder,
        question_vector=await embedder.embed_query(question),
    )
    return await ExtractiveGenerator().generate(request)


async def test_the_answerer_uses_ingest_vectors_and_embeds_no_sentence(
    local_embedder: OnnxEmbedder, embedder: MemoEmbedder
) -> None:
    _, stored = await local_embedder.embed_passages([MANUAL, OTHER])
    passages = [
        Passage(n=1, id="a", text=MANUAL, source="quick-start.html", unit_vectors=stored[0]),
        Passage(n=2, id="b", text=OTHER, source="quick-start.html", unit_vectors=stored[1]),
    ]
    answer = await ask(embedder, "How often is Memcheck right?", passages)
    assert "it is typically right 99% of the time" in answer
    assert embedder.priority_calls == [["How often is Memcheck right?"]]  # the question only


async def test_without_usable_ingest_vectors_the_answerer_embeds_its_candidates(
    embedder: MemoEmbedder,
) -> None:
    passages = [
        Passage(n=1, id="a", text=MANUAL, source="quick-start.html", unit_vectors=""),
        Passage(n=2, id="b", text=OTHER, source="q.html", unit_vectors="0123456789abcdef:AAAA"),
    ]
    answer = await ask(embedder, "How often is Memcheck right?", passages)
    assert "it is typically right 99% of the time" in answer
    assert len(embedder.priority_calls) == 2  # the question, then the shortlisted units


async def test_only_passages_without_ingest_vectors_have_their_sentences_embedded(
    local_embedder: OnnxEmbedder, embedder: MemoEmbedder
) -> None:
    _, stored = await local_embedder.embed_passages([MANUAL])
    passages = [
        Passage(n=1, id="a", text=MANUAL, source="quick-start.html", unit_vectors=stored[0]),
        Passage(n=2, id="b", text=OTHER, source="q.html"),
    ]
    answer = await ask(embedder, "How often is Memcheck right?", passages)
    assert "it is typically right 99% of the time" in answer
    _, candidates = embedder.priority_calls
    assert candidates == [u.text for u in units(OTHER)]  # the stored passage is not embedded
