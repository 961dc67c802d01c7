"""What access labels cost a search: p50/p95/p99 with and without the caller's label filter.

    .venv/bin/python benchmarks/access_filter.py                    # 100k chunks
    .venv/bin/python benchmarks/access_filter.py --size 20000 --queries 200

The embedded engine (worker process, HNSW index built before timing) behind the real
``SearchService`` (no cache, so every call searches); the embedder is a twin returning
precomputed vectors, so no time is spent embedding. Synthetic chunks as in ``search.py``
(random unit vectors, Zipf pseudo-word texts with BM25 vectors), labelled like a company's
documents: half carry no labels (the collection default, ``public``), the rest one of
``--groups`` groups, and one in ten of those a tenant label as well.

Readers, timed back to back on the same queries (interleaved, rotating order):

- ``no filter``: ``access:all``, the search as it was before access labels;
- ``one group``: ``group:g0`` (the filter admits public + ~1/groups of the labelled chunks);
- ``public only``: a caller without labels (the narrowest filter: half the chunks).

Then the collection's ``default_access`` is switched to ``restricted`` (a catalog change, no
data moves) and the same readers are timed again: ``one group`` now admits only its group's
chunks (~2.5% with 20 groups), the selective filter an index has to work hardest for;
``public only`` admits nothing.

Prints the figures with ``os.getloadavg()`` and writes ``results/access_filter.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec

from benchmarks.search import REF, Corpus, PrecomputedEmbedder, interleaved
from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.embedders import EmbedderRegistry
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.adapters.qdrant.embedded.protocol import BuildIndex, BuildResult
from ragmono.domain import (
    Chunk,
    ChunkPoint,
    CollectionSpec,
    DefaultAccess,
    Filter,
    Reader,
    SearchMode,
)
from ragmono.modules.query import SearchParams, SearchService

RESULTS = Path(__file__).parent / "results"
NAME = "labelled"
READERS = {
    "no filter": Reader.everything(),
    "one group": Reader(frozenset({"group:g0", "user:u1"})),
    "public only": Reader(),
}
MODES: tuple[SearchMode, ...] = ("dense", "keyword", "hybrid")
DEFAULTS: tuple[DefaultAccess, ...] = ("public", "restricted")


def labels_of(doc: int, groups: int) -> list[str]:
    """Half the documents unlabelled, the rest one group (and a tenant for one in ten)."""
    if doc % 2 == 0:
        return []
    labels = [f"group:g{(doc // 2) % groups}"]
    if doc % 10 == 1:
        labels.append(f"tenant:t{doc % 3}")
    return labels


async def seed(store: EmbeddedVectorStore, corpus: Corpus, groups: int) -> dict[str, float]:
    """Upsert every chunk (4 per document) with its document's labels, then build the index."""
    bm25 = Bm25Encoder()
    await store.create_collection(CollectionSpec(name=NAME, embedder=REF))
    started = time.perf_counter()
    for start in range(0, len(corpus.texts), 1000):
        points = [
            ChunkPoint(
                id=str(uuid.UUID(int=i + 1)),
                dense=corpus.vectors[i].tolist(),
                sparse=bm25.encode_document(corpus.texts[i]),
                chunk=Chunk(
                    document_id=f"doc-{i // 4}",
                    source=f"synthetic/{i // 4}.txt",
                    chunk_index=i % 4,
                    chunk_total=4,
                    content_hash=f"{i:064x}",
                    text=corpus.texts[i],
                    access=labels_of(i // 4, groups),
                ),
            )
            for i in range(start, min(start + 1000, len(corpus.texts)))
        ]
        await store.upsert(NAME, points)
    upserted = time.perf_counter()
    result = await store.engine.call(BuildIndex(NAME), BuildResult, timeout_s=None)
    return {
        "upsert_s": round(upserted - started, 1),
        "index_s": round(time.perf_counter() - upserted, 1),
        "index_built": result.built,
    }


async def run(size: int, queries: int, groups: int, workdir: Path) -> dict[str, Any]:
    """Seed, then time every mode for every reader."""
    corpus = Corpus(size)
    asked = corpus.queries(queries)
    store = EmbeddedVectorStore(workdir / "vectors")
    try:
        seeded = await seed(store, corpus, groups)
        total = await store.count(NAME)
        embedder = PrecomputedEmbedder({text: vector for text, vector in asked})
        service = SearchService(store, EmbedderRegistry(embedder, {}), Bm25Encoder())
        visible: dict[str, dict[str, int]] = {}
        figures: dict[str, dict[str, Any]] = {}
        for default in DEFAULTS:
            spec = await store.get_collection(NAME)
            assert spec is not None
            await store.update_collection(msgspec.structs.replace(spec, default_access=default))
            visible[default] = {}
            for name, reader in READERS.items():
                condition = reader.condition(default)
                flt = None if condition is None else Filter(must=[condition])
                visible[default][name] = await store.count(NAME, flt)
            figures[default] = {}
            for mode in MODES:
                layers = {
                    name: [_call(service, text, mode, reader) for text, _ in asked]
                    for name, reader in READERS.items()
                }
                figures[default][mode] = await interleaved(layers)
        return {"seed": seeded, "points": total, "visible_points": visible, "search": figures}
    finally:
        await store.close()


def _call(service: SearchService, text: str, mode: SearchMode, reader: Reader) -> Any:
    params = SearchParams(query=text, collection=NAME, top_k=10, mode=mode, reader=reader)

    async def call() -> None:
        await service.search(params)

    return call


def main() -> None:
    """Parse arguments, run, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="Chunks (4 per document).")
    parser.add_argument("--queries", type=int, default=300, help="Timed queries per mode.")
    parser.add_argument("--groups", type=int, default=20, help="Groups labelled documents use.")
    args = parser.parse_args()
    load_before = os.getloadavg()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ragmono-access-") as tmp:
        result = asyncio.run(run(args.size, args.queries, args.groups, Path(tmp)))
    report = {
        "benchmark": "access_filter",
        "size": args.size,
        "queries": args.queries,
        "groups": args.groups,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "runtime_s": round(time.perf_counter() - started, 1),
        **result,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"access_filter-{args.size}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{args.size} chunks, seed {result['seed']}")
    print(f"loadavg before {report['loadavg_before']} after {report['loadavg_after']}")
    print(
        f"{'default':10} {'mode':8} {'reader':12} {'visible':>8} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'qps':>7}"
    )
    for default, modes in result["search"].items():
        for mode, readers in modes.items():
            for reader, f in readers.items():
                seen = result["visible_points"][default][reader]
                print(
                    f"{default:10} {mode:8} {reader:12} {seen:8d} {f['p50_ms']:8.2f} "
                    f"{f['p95_ms']:8.2f} {f['p99_ms']:8.2f} {f['qps']:7.1f}"
                )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
