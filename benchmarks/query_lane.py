"""Query embedding latency while the local embedder ingests, per onnxruntime arrangement.

    .venv/bin/python -m benchmarks.query_lane [--seconds 20]

In one process, for each arrangement (a fresh :class:`OnnxEmbedder` each): an ingest loop
embeds 64-word-piece chunks in calls of 96 texts without pause, while one client embeds a
query after another (``embed_query``). Arrangements:

- ``shared``: no query lane, ingest session at onnxruntime's default threads (as before);
- ``lane + ingest 1 thread``: query lane (own session, one intra-op thread), ingest session
  with one intra-op thread (the default on 2 cores: ``threads = 0`` is cores less one);
- ``lane + ingest 2 threads``: query lane, ingest session with two (onnxruntime's default).

Reported: query p50/p95/p99 ms and queries/s, and ingest chunks/s during the queries, against
each arrangement's idle query latency and ingest rate alone. Quick and in-process (no HTTP, no
engine): it isolates the embedder's part of ``search_during_ingest.py``. Writes
``benchmarks/results/query-lane.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate_corpus, generate_queries
from benchmarks.timing import nearest_rank
from ragmono.adapters.onnx_embedder import OnnxEmbedder

RESULTS = Path(__file__).resolve().parent / "results" / "query-lane.json"
ARRANGEMENTS: dict[str, dict[str, Any]] = {
    "shared": {"query_lane": False},
    "lane + ingest 1 thread": {"query_lane": True, "threads": 1},
    "lane + ingest 2 threads": {"query_lane": True, "threads": 2},
}


def _chunks(n: int) -> list[str]:
    words = " ".join(d.text for d in generate_corpus(40)).split()
    return [" ".join(words[i * 40 : i * 40 + 40]) for i in range(n)]  # ~64 word pieces


async def _queries(embedder: OnnxEmbedder, texts: list[str], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        t0 = time.perf_counter()
        await embedder.embed_query(texts[len(latencies) % len(texts)])
        latencies.append((time.perf_counter() - t0) * 1000)
    took = time.perf_counter() - began
    ordered = sorted(latencies)
    row = {f"p{q}_ms": round(nearest_rank(ordered, q), 1) for q in (50, 95, 99)}
    return {**row, "per_s": round(len(ordered) / took, 1)}


async def _ingest(embedder: OnnxEmbedder, chunks: list[str], stop: asyncio.Event) -> float:
    done = 0
    began = time.perf_counter()
    while not stop.is_set():
        await embedder.embed_documents(chunks)
        done += len(chunks)
    return done / (time.perf_counter() - began)


async def arrangement(name: str, seconds: float) -> dict[str, Any]:
    """Idle queries, ingest alone, then both at once, on one fresh embedder."""
    embedder = OnnxEmbedder(**ARRANGEMENTS[name])
    queries = [q.text for q in generate_queries(generate_corpus(40), 50) if q.kind == "dense"]
    chunks = _chunks(96)
    try:
        await embedder.embed_documents(chunks[:8])  # warm up both sessions
        await embedder.embed_query(queries[0])
        load = [round(os.getloadavg()[0], 1)]
        idle = await _queries(embedder, queries, seconds)
        stop = asyncio.Event()
        alone_task = asyncio.create_task(_ingest(embedder, chunks, stop))
        await asyncio.sleep(seconds)
        stop.set()
        alone = await alone_task
        stop = asyncio.Event()
        busy_task = asyncio.create_task(_ingest(embedder, chunks, stop))
        during = await _queries(embedder, queries, seconds)
        stop.set()
        busy = await busy_task
        load.append(round(os.getloadavg()[0], 1))
    finally:
        await embedder.close()
    return {
        "arrangement": name,
        "query_idle": idle,
        "query_during_ingest": during,
        "ingest_alone_chunks_per_s": round(alone, 1),
        "ingest_with_queries_chunks_per_s": round(busy, 1),
        "loadavg_1min": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--arrangements", default=",".join(ARRANGEMENTS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    for name in args.arrangements.split(","):
        rows.append(asyncio.run(arrangement(name, args.seconds)))
        print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "query_lane", "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
