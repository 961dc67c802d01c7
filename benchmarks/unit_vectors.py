"""What answer-unit vectors cost at ingest and what they save at query time.

Ingest: the local embedder on the same SciFact chunks as ``benchmarks/embedder.py``, chunk
vectors alone (``embed_documents``) against chunk and unit vectors (``embed_passages``),
alternating A B A B in one process so both see the same machine; chunks/s per round and the
payload added per chunk.

Query: the extractive answerer's cost on those chunks as passages (five a question, each
chunk's first sentence as the question), with the units embedded at query time (no stored
vectors, cold caches) against the vectors stored at ingest; p50/p95 over the questions.

    .venv/bin/python -m benchmarks.unit_vectors [--texts 128] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from benchmarks.embedder import load_texts
from benchmarks.timing import nearest_rank


async def ingest_rounds(texts: list[str], rounds: int) -> dict[str, list[float]]:
    """chunks/s of each way, per round, alternating."""
    from ragmono.adapters.onnx_embedder import OnnxEmbedder

    embedder = OnnxEmbedder()
    await embedder.embed_documents(texts[:8])  # load and warm the session
    rates: dict[str, list[float]] = {"chunk vectors only": [], "chunk + unit vectors": []}
    for _ in range(rounds):
        started = time.perf_counter()
        await embedder.embed_documents(texts)
        rates["chunk vectors only"].append(len(texts) / (time.perf_counter() - started))
        started = time.perf_counter()
        await embedder.embed_passages(texts)
        rates["chunk + unit vectors"].append(len(texts) / (time.perf_counter() - started))
    await embedder.close()
    return rates


async def answer_latency(texts: list[str]) -> tuple[dict[str, list[float]], float]:
    """Answerer milliseconds per question, both ways; mean stored bytes per chunk."""
    from ragmono.adapters.extractive import ExtractiveGenerator
    from ragmono.adapters.extractive_units import sentences
    from ragmono.adapters.onnx_embedder import OnnxEmbedder
    from ragmono.ports import AnswerRequest, Passage

    embedder = OnnxEmbedder()
    _, stored = await embedder.embed_passages(texts)
    took: dict[str, list[float]] = {"units embedded at query time": [], "stored at ingest": []}
    for start in range(0, len(texts) - 4, 5):
        group = texts[start : start + 5]
        question = (sentences(group[0]) or [group[0]])[0]
        vector = await embedder.embed_query(question)
        for way, units in (
            ("units embedded at query time", ["" for _ in group]),
            ("stored at ingest", stored[start : start + 5]),
        ):
            passages = [
                Passage(n=n, id=str(n), text=t, source="scifact", unit_vectors=u)
                for n, (t, u) in enumerate(zip(group, units, strict=True), start=1)
            ]
            request = AnswerRequest(
                question=question, passages=passages, embedder=embedder, question_vector=vector
            )
            began = time.perf_counter()
            await ExtractiveGenerator().generate(request)  # fresh: cold caches
            took[way].append(1000 * (time.perf_counter() - began))
    await embedder.close()
    return took, statistics.fmean(len(s) for s in stored)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = load_texts(args.texts)
    rates = asyncio.run(ingest_rounds(texts, args.rounds))
    print(f"ingest, {len(texts)} SciFact chunks, load average {os.getloadavg()}")
    for way, per_round in rates.items():
        shown = ", ".join(f"{r:.1f}" for r in per_round)
        print(f"  {way:24s} median {statistics.median(per_round):.1f} chunks/s ({shown})")
    took, size = asyncio.run(answer_latency(texts))
    print(f"answerer, top 5, {len(took['stored at ingest'])} questions, load {os.getloadavg()}")
    for way, ms in took.items():
        ms.sort()
        print(f"  {way:30s} p50 {nearest_rank(ms, 50):.1f} ms, p95 {nearest_rank(ms, 95):.1f} ms")
    print(f"stored per chunk: {size / 1024:.1f} KiB (base64 int8)")


if __name__ == "__main__":
    main()
