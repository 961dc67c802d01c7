"""The local ONNX embedder agrees with fp32 all-MiniLM-L6-v2 on reference sentences.

``tests/fixtures/minilm-reference.json`` holds sentence-transformers' fp32 embeddings of eight
sentences (how they were made is recorded in the file itself); int8 weights cost a little
precision, so agreement is checked at cosine >= 0.999.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from ragmono.adapters.onnx_embedder import MAX_TOKENS, RUN_TOKENS, OnnxEmbedder

FIXTURE = Path(__file__).parents[2] / "fixtures" / "minilm-reference.json"


async def test_vectors_match_the_reference_model() -> None:
    reference = json.loads(FIXTURE.read_text())
    texts = [item["text"] for item in reference["items"]]
    expected = np.array([item["embedding"] for item in reference["items"]])
    embedder = OnnxEmbedder(batch_size=3)
    try:
        got = np.array(await embedder.embed_documents(texts))
    finally:
        await embedder.close()
    cosine = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosine.min() >= 0.999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)


async def test_query_and_document_vectors_agree() -> None:
    embedder = OnnxEmbedder()
    try:
        doc = (await embedder.embed_documents(["hello world"]))[0]
        query = await embedder.embed_query("hello world")
    finally:
        await embedder.close()
    assert np.allclose(doc, query, atol=1e-5)


async def test_a_query_does_not_wait_for_a_whole_ingest_call() -> None:
    """A search's query embedding queues behind one run of a large call, not all of it."""
    embedder = OnnxEmbedder()
    texts = [f"passage {i} about retrieval, chunking and embeddings " * 20 for i in range(40)]
    try:
        documents = asyncio.create_task(embedder.embed_documents(texts))
        await asyncio.sleep(0)  # the first run is on the embedding thread now
        query = asyncio.create_task(embedder.embed_query("what is chunking?"))
        done, _ = await asyncio.wait({documents, query}, return_when=asyncio.FIRST_COMPLETED)
        assert done == {query}
        assert len(await documents) == 40
    finally:
        await embedder.close()


async def test_runs_hold_many_short_texts_or_a_few_long_ones() -> None:
    embedder = OnnxEmbedder()
    short = [f"query {i}" for i in range(40)]
    long = [f"passage {i} " + "about retrieval and chunking " * 60 for i in range(9)]
    try:
        encodings, runs = embedder.plan(short + long)
    finally:
        await embedder.close()
    assert sorted(i for run in runs for i in run) == list(range(49))  # each text exactly once
    for run in runs:
        padded = len(run) * max(len(encodings[i].ids) for i in run)
        assert len(run) <= 32
        assert padded <= RUN_TOKENS
    assert max(len(run) for run in runs) == 32  # short texts fill a run
    per_run = RUN_TOKENS // MAX_TOKENS  # 256-token texts
    long_runs = [len(run) for run in runs if set(run) & set(range(40, 49))]
    assert long_runs == [per_run] * (9 // per_run) + [9 % per_run] * (9 % per_run > 0)


@pytest.mark.parametrize("lane", [True, False])
async def test_the_query_lane_answers_during_an_ingest_run(lane: bool) -> None:
    """With the lane a query is done before one long ingest run; without it, after it."""
    long = [f"passage {i} " + "about retrieval and chunking " * 60 for i in range(12)]
    embedder = OnnxEmbedder(batch_size=64, run_tokens=64 * MAX_TOKENS, query_lane=lane)
    try:
        assert len(embedder.plan(long)[1]) == 1  # one model run holds every passage
        finished: list[str] = []  # completion order (a loaded machine may finish both at once)
        documents = asyncio.create_task(embedder.embed_documents(long))
        documents.add_done_callback(lambda _: finished.append("documents"))
        await asyncio.sleep(0)  # the run is on the ingest thread now
        query = asyncio.create_task(embedder.embed_query("what is chunking?"))
        query.add_done_callback(lambda _: finished.append("query"))
        await asyncio.gather(documents, query)
        assert finished == (["query", "documents"] if lane else ["documents", "query"])
        vector = await query
        ingest_vector = (await embedder.embed_documents(["what is chunking?"]))[0]
    finally:
        await embedder.close()
    assert np.allclose(vector, ingest_vector, atol=1e-5)  # same model either lane


async def test_priority_calls_use_the_query_lane() -> None:
    long = [f"passage {i} " + "about retrieval and chunking " * 60 for i in range(12)]
    embedder = OnnxEmbedder(batch_size=64, run_tokens=64 * MAX_TOKENS)
    try:
        documents = asyncio.create_task(embedder.embed_documents(long))
        await asyncio.sleep(0)
        candidates = asyncio.create_task(
            embedder.embed_documents(["one answer", "another answer"], priority=True)
        )
        done, _ = await asyncio.wait({documents, candidates}, return_when=asyncio.FIRST_COMPLETED)
        assert done == {candidates}
        assert len(await candidates) == 2
        await documents
    finally:
        await embedder.close()
