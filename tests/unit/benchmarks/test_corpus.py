"""The load-test corpus is reproducible, states its facts, and its queries have right answers."""

from __future__ import annotations

from pathlib import Path

from semantic_text_splitter import TextSplitter
from tokenizers import Tokenizer

from benchmarks.corpus import (
    CHUNK_OVERLAP,
    CHUNK_SIZE,
    CHUNKS_PER_DOC,
    MAX_DOCS,
    documents_for_chunks,
    generate_corpus,
    generate_queries,
)

TOKENIZER = (
    Path(__file__).resolve().parents[3]
    / "src/ragmono/adapters/assets/all-MiniLM-L6-v2/tokenizer.json"
)


def test_same_seed_same_corpus_and_smaller_corpora_are_prefixes() -> None:
    assert generate_corpus(40, seed=3) == generate_corpus(40, seed=3)
    assert generate_corpus(40, seed=3)[:15] == generate_corpus(15, seed=3)
    assert generate_corpus(15, seed=3) != generate_corpus(15, seed=4)


def test_each_document_states_its_facts_and_identifiers_are_unique() -> None:
    docs = generate_corpus(3000)
    for doc in docs[:200]:
        for fact in (doc.name, str(doc.founded), doc.founder, doc.town, doc.code, f"{doc.staff:,}"):
            assert fact in doc.text, (doc.id, fact)
        assert doc.api_body()["id"] == doc.id
    assert len({d.code for d in docs}) == len(docs)
    assert len({d.name for d in docs}) == len(docs)
    assert len({d.id for d in docs}) == len(docs)


def test_queries_point_at_a_document_that_answers_them() -> None:
    docs = generate_corpus(300)
    by_id = {d.id: d for d in docs}
    queries = generate_queries(docs, 50)
    assert [q.kind for q in queries[:3]] == ["dense", "keyword", "question"]
    assert len(queries) == 150
    for q in queries:
        doc = by_id[q.document_id]
        if q.kind == "dense":  # a paraphrase: neither the name nor the catalogue code
            assert doc.name not in q.text
            assert doc.code not in q.text
        elif q.kind == "keyword":
            assert doc.code in q.text
        else:
            assert q.answer
            assert q.answer in doc.text


def test_corpus_sizes_give_the_chunk_counts_they_promise() -> None:
    assert documents_for_chunks(1000) * CHUNKS_PER_DOC in range(990, 1011)
    assert documents_for_chunks(100_000) * CHUNKS_PER_DOC in range(99_990, 100_011)
    assert documents_for_chunks(10**9) == MAX_DOCS
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.no_truncation()
    splitter = TextSplitter.from_huggingface_tokenizer(
        tokenizer, CHUNK_SIZE, overlap=CHUNK_OVERLAP, trim=True
    )
    counts = [len(splitter.chunks(d.text)) for d in generate_corpus(30)]
    assert sum(counts) == 30 * CHUNKS_PER_DOC
