"""Ingest throughput: chunks/s end to end through IngestService vs the raw embedder rate.

Both run in the same process on the same chunk texts: the real local embedder (MiniLM int8
ONNX) and the real embedded engine. Order raw -> service -> raw; the baseline is the mean of
the two raw runs, so drift on a shared machine shows as a gap between them. Target: the
service reaches >= 80% of the raw rate (the store, keyword vectors, chunking and bookkeeping
must hide behind the embedder).

    .venv/bin/python benchmarks/ingest.py [--docs 30] [--chunk-size 256] [--batch-chunks 32]

Writes benchmarks/results/ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.domain import ChunkingConfig
from ragmono.lifespan import build_services, open_adapters
from ragmono.modules.ingest import Chunker, DocumentInput, IngestReport
from ragmono.ports import Embedder
from ragmono.settings import load_settings

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO))  # run as a file: ``benchmarks`` importable

from benchmarks.timing import percentiles  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "ingest.json"
WORDS = [
    "system",
    "data",
    "model",
    "query",
    "index",
    "vector",
    "search",
    "engine",
    "document",
    "chunk",
    "token",
    "embedding",
    "server",
    "client",
    "request",
    "response",
    "cache",
    "latency",
    "throughput",
    "memory",
    "disk",
    "network",
    "replica",
    "cluster",
    "shard",
    "node",
    "failure",
    "recovery",
    "backup",
    "restore",
    "schedule",
    "policy",
    "user",
    "access",
    "audit",
    "report",
    "metric",
    "alert",
    "threshold",
    "window",
    "batch",
    "stream",
    "queue",
    "worker",
    "process",
    "thread",
    "lock",
]


def corpus(docs: int, sentences: int, seed: int = 7) -> list[DocumentInput]:
    """Deterministic documents of plain sentences (several chunks each)."""
    rng = random.Random(seed)
    out = []
    for d in range(docs):
        text = " ".join(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
            for _ in range(sentences)
        )
        out.append(DocumentInput(id=f"doc-{d}", text=text, source=f"bench/{d}.txt"))
    return out


def latency_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds (nearest rank, as every benchmark)."""
    if not samples:
        return {"p50_ms": 0.0}
    return {f"p{q}_ms": round(1000 * v, 1) for q, v in percentiles(samples).items()}


class TimedEmbedder:
    """Delegates to the real embedder and records how long each call took."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.calls: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def embed_documents(
        self, texts: Sequence[str], *, priority: bool = False
    ) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return await self.inner.embed_documents(texts)
        finally:
            self.calls.append(time.perf_counter() - started)


async def raw_rate(embedder: Embedder, texts: list[str], batch: int) -> tuple[float, list[float]]:
    """Chunks/s of the embedder alone, in the pipeline's batch size, and per-batch times."""
    times = []
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        t = time.perf_counter()
        await embedder.embed_documents(texts[i : i + batch])
        times.append(time.perf_counter() - t)
    return len(texts) / (time.perf_counter() - started), times


async def main(
    docs: int, sentences: int, chunk_size: int, overlap: int, batch_chunks: int | None
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ragmono-bench-") as data_dir:
        env = {"RAGMONO_STORAGE__DATA_DIR": data_dir}
        if batch_chunks:
            env["RAGMONO_INGEST__BATCH_CHUNKS"] = str(batch_chunks)
        settings = load_settings(None, env)
        batch = settings.ingest.batch_chunks
        documents = corpus(docs, sentences)
        chunking = ChunkingConfig(chunk_size=chunk_size, chunk_overlap=overlap)
        chunker = Chunker(load_chunking_tokenizer)
        texts = [p.text for d in documents for p in chunker.split(d.text, chunking, markdown=False)]
        async with open_adapters(settings) as adapters:
            embedder = adapters.embedder
            await embedder.embed_documents(texts[:8])  # warm-up: first-call allocations
            raw_before, raw_times = await raw_rate(embedder, texts, batch)

            timed = TimedEmbedder(embedder)
            services = build_services(settings, type(adapters)(**_fields(adapters, timed)))
            await services.collections.create("bench", chunking=chunking)
            started = time.perf_counter()
            outcome, _ = await services.ingest.ingest_documents(
                "bench", documents, background=False
            )
            e2e_s = time.perf_counter() - started
            assert isinstance(outcome, IngestReport)
            chunks = sum(r.chunks for r in outcome.results)
            assert chunks == len(texts), (chunks, len(texts))
            assert await adapters.vector_store.count("bench") == chunks

            started = time.perf_counter()
            again, _ = await services.ingest.ingest_documents("bench", documents, background=False)
            skip_s = time.perf_counter() - started
            assert isinstance(again, IngestReport)
            assert again.unchanged == docs

            raw_after, more_times = await raw_rate(embedder, texts, batch)
    baseline = (raw_before + raw_after) / 2
    e2e = chunks / e2e_s
    embed_busy = sum(timed.calls) / e2e_s
    return {
        "benchmark": "ingest",
        "provisional": "shared 2-core machine; other jobs ran at the same time",
        "machine": {"python": platform.python_version(), "cpu": platform.machine()},
        "corpus": {
            "documents": docs,
            "chunks": chunks,
            "chunk_size": chunk_size,
            "overlap": overlap,
        },
        "batch_chunks": batch,
        "raw_embedder_chunks_per_s": {
            "before": round(raw_before, 2),
            "after": round(raw_after, 2),
            "baseline": round(baseline, 2),
        },
        "service_chunks_per_s": round(e2e, 2),
        "ratio_to_raw": round(e2e / baseline, 3),
        "target_ratio": 0.8,
        "embedder_busy_fraction_in_service": round(embed_busy, 3),
        "raw_batch_latency": latency_ms(raw_times + more_times),
        "service_embed_batch_latency": latency_ms(timed.calls),
        "unchanged_reingest_docs_per_s": round(docs / skip_s, 1),
    }


def _fields(adapters: Any, embedder: Any) -> dict[str, Any]:
    from dataclasses import fields

    values = {f.name: getattr(adapters, f.name) for f in fields(adapters)}
    values["embedder"] = embedder
    return values


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--sentences", type=int, default=24, help="sentences per document")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--overlap", type=int, default=32)
    parser.add_argument("--batch-chunks", type=int, help="ingest.batch_chunks (default 128)")
    args = parser.parse_args()
    result = asyncio.run(
        main(args.docs, args.sentences, args.chunk_size, args.overlap, args.batch_chunks)
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
