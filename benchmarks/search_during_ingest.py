"""Search latency and throughput while documents are ingested, against the same searches idle.

    .venv/bin/python -m benchmarks.search_during_ingest                 # every configuration
    .venv/bin/python -m benchmarks.search_during_ingest --configs lane --chunks 2000

For each configuration (a set of ``RAGMONO_*`` settings, see :data:`CONFIGS`) one real
``ragmono serve`` (granian, embedded engine, local MiniLM embedder, cache off so every search
embeds its query and reaches the engine) on loopback, with a temp data dir:

1. seed: ``--seed-docs`` documents of ``corpus.py``'s corpus into ``docs`` (250-token chunks);
2. idle: hybrid searches over the corpus' dense queries and questions, closed loop, for
   ``--idle-s`` seconds at concurrency 2, then at 10;
3. ingest alone: ``--chunks`` chunks (``--chunk-size`` word pieces each: short chunks keep
   the run in minutes on 2 cores) into ``bulk_alone``, one client posting ``--batch-docs``
   documents per request, one request after another (a folder sync);
4. ingest with searches: the same documents into ``bulk_during`` while the searches run at
   concurrency 2 until half the chunks are in, then at 10 until the end.

Reported per configuration: search p50/p95/p99 and req/s in each phase, ingest chunks/s in
each half (alone and with searches), the ratios the issue's targets are about, and the load
average before and after each phase (the machine is shared: compare within one run only).
Writes ``benchmarks/results/search-during-ingest.json`` and a markdown table beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.corpus import Document, generate_corpus, generate_queries
from benchmarks.harness import AppServer
from benchmarks.seeding import seed
from benchmarks.timing import nearest_rank

RESULTS = Path(__file__).resolve().parent / "results"
CONFIGS: dict[str, dict[str, str]] = {
    "shared": {"RAGMONO_EMBEDDER__QUERY_LANE": "false"},  # one embedder queue, as before
    "lane": {},  # the defaults: query lane, ingest session on the other core(s)
}
"""Name -> extra server settings. Each runs in its own server, in the order asked for."""
BASE_ENV = {"RAGMONO_CACHE__TTL_S": "0", "RAGMONO_BACKUP__SCHEDULE": ""}


def say(text: str) -> None:
    """Progress on stderr (a run takes minutes)."""
    print(f"{time.strftime('%H:%M:%S')} {text} (load {os.getloadavg()[0]:.1f})", file=sys.stderr)


def loadavg() -> list[float]:
    """1, 5 and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


@dataclass
class Searches:
    """Latencies of one phase of searching, and when it ran."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0
    ended: float = 0.0
    load: list[list[float]] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Count, p50/p95/p99 ms, req/s, errors and load average at start and end."""
        ordered = sorted(self.latencies_ms)
        seconds = max(1e-9, self.ended - self.started)
        row: dict[str, Any] = {"searches": len(ordered), "seconds": round(seconds, 1)}
        for q in (50, 95, 99):
            row[f"p{q}_ms"] = round(nearest_rank(ordered, q), 1) if ordered else None
        row["per_s"] = round(len(ordered) / seconds, 1)
        row["errors"] = self.errors
        row["loadavg"] = self.load
        row.update(self.stages)
        return row


class Searcher:
    """Closed-loop hybrid searches at a concurrency that can change while it runs."""

    def __init__(self, client: httpx.AsyncClient, queries: list[str]) -> None:
        self._client = client
        self._queries = queries
        self._next = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._totals: dict[str, tuple[float, int]] = {}
        self.phase = Searches()

    async def start_phase(self, concurrency: int) -> Searches:
        """Close the running phase (returned) and run ``concurrency`` clients from now on."""
        totals = await stage_totals(self._client)
        finished = self.phase
        finished.ended = time.perf_counter()
        finished.load.append(loadavg())
        for stage in ("embed", "search"):
            (s0, n0), (s1, n1) = self._totals.get(stage, (0.0, 0)), totals.get(stage, (0.0, 0))
            if n1 > n0:  # the server's own mean time per search in this stage
                finished.stages[f"{stage}_mean_ms"] = round((s1 - s0) / (n1 - n0) * 1000, 1)
        self._totals = totals
        self.phase = Searches(started=time.perf_counter(), load=[loadavg()])
        while len(self._tasks) < concurrency:
            self._tasks.append(asyncio.create_task(self._client_loop(len(self._tasks))))
        while len(self._tasks) > concurrency:
            self._tasks.pop().cancel()
        return finished

    async def stop(self) -> Searches:
        """Stop every client; the last phase."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        return await self.start_phase(0)

    async def _client_loop(self, _: int) -> None:
        while True:
            text = self._queries[self._next % len(self._queries)]
            self._next += 1
            body = {"collection": "docs", "query": text, "top_k": 10, "mode": "hybrid"}
            phase = self.phase
            t0 = time.perf_counter()
            try:
                res = await self._client.post("/api/v1/search", json=body)
                ok = res.status_code == 200
            except httpx.HTTPError:
                ok = False
            if phase is self.phase:  # a request that straddles a phase change counts nowhere
                if ok:
                    phase.latencies_ms.append((time.perf_counter() - t0) * 1000)
                else:
                    phase.errors += 1


async def stage_totals(client: httpx.AsyncClient) -> dict[str, tuple[float, int]]:
    """Seconds and count of hybrid searches' ``embed`` and ``search`` stages (``/metrics``)."""
    text = (await client.get("/metrics")).text
    out: dict[str, tuple[float, int]] = {}
    for stage in ("embed", "search"):
        labels = f'{{mode="hybrid",stage="{stage}"}}'
        values = {}
        for line in text.splitlines():
            for kind in ("sum", "count"):
                if line.startswith(f"ragmono_query_duration_seconds_{kind}{labels}"):
                    values[kind] = float(line.rsplit(" ", 1)[1])
        out[stage] = (values.get("sum", 0.0), int(values.get("count", 0)))
    return out


async def ingest(
    client: httpx.AsyncClient,
    collection: str,
    docs: list[Document],
    *,
    chunk_size: int,
    batch_docs: int,
    target_chunks: int,
    on_half: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Post ``docs`` in batches until ``target_chunks`` are in; chunks/s of each half."""
    body = {"name": collection, "chunking": {"chunk_size": chunk_size, "chunk_overlap": 0}}
    res = await client.post("/api/v1/collections", json=body)
    assert res.status_code == 201, res.text
    chunks = 0
    started = half_at = time.perf_counter()
    half_chunks = 0
    load = [loadavg()]
    for i in range(0, len(docs), batch_docs):
        if chunks >= target_chunks:
            break
        batch = [d.api_body() for d in docs[i : i + batch_docs]]
        res = await client.post(
            f"/api/v1/collections/{collection}/documents", json={"documents": batch}
        )
        assert res.status_code == 200, res.text[:500]
        out = res.json()
        assert not out.get("failed"), res.text[:500]
        chunks += sum(d["chunks"] for d in out["results"])
        if not half_chunks and chunks >= target_chunks / 2:
            half_at, half_chunks = time.perf_counter(), chunks
            load.append(loadavg())
            if on_half is not None:
                await on_half()
    ended = time.perf_counter()
    load.append(loadavg())
    if chunks < target_chunks:
        raise RuntimeError(f"only {chunks} chunks in {len(docs)} documents: raise --bulk-docs")
    return {
        "chunks": chunks,
        "seconds": round(ended - started, 1),
        "chunks_per_s": round(chunks / (ended - started), 1),
        "first_half_chunks_per_s": round(half_chunks / (half_at - started), 1),
        "second_half_chunks_per_s": round((chunks - half_chunks) / (ended - half_at), 1),
        "loadavg": load,
    }


def _ratios(out: dict[str, Any]) -> dict[str, Any]:
    idle, during = out["idle_c2"], out["during_c2"]
    alone, busy = out["ingest_alone"], out["ingest_with_searches"]
    return {
        "p95_during_over_idle_c2": round(during["p95_ms"] / idle["p95_ms"], 2),
        "per_s_during_over_idle_c2": round(during["per_s"] / idle["per_s"], 2),
        "p95_during_over_idle_c10": round(
            out["during_c10"]["p95_ms"] / out["idle_c10"]["p95_ms"], 2
        ),
        "ingest_with_c2_over_alone": round(
            busy["first_half_chunks_per_s"] / alone["first_half_chunks_per_s"], 2
        ),
        "ingest_with_c10_over_alone": round(
            busy["second_half_chunks_per_s"] / alone["second_half_chunks_per_s"], 2
        ),
    }


async def run_config(name: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every phase on one server with ``CONFIGS[name]``."""
    docs = generate_corpus(args.seed_docs + args.bulk_docs)
    seeded, bulk = docs[: args.seed_docs], docs[args.seed_docs :]
    queries = [q.text for q in generate_queries(seeded, 100) if q.kind != "keyword"]
    settings = {**BASE_ENV, **CONFIGS[name]}
    data = work / name
    data.mkdir()
    out: dict[str, Any] = {"config": name, "settings": CONFIGS[name]}
    with AppServer(data, settings, work / f"{name}.log") as app:
        say(f"{name}: seeding {len(seeded)} documents")
        with httpx.Client(base_url=app.url, timeout=120) as sync_client:
            result = seed(sync_client, "docs", seeded, budget_s=600, timeout_s=600)
        out["seed"] = {"documents": result.documents, "chunks": result.chunks}
        out["seed"]["chunks_per_s"] = result.chunks_per_s
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=app.url, timeout=120, limits=limits) as client:
            searcher = Searcher(client, queries)
            for _ in range(10):  # warm up: first searches load the keyword model and caches
                await client.post(
                    "/api/v1/search",
                    json={"collection": "docs", "query": queries[0], "mode": "hybrid"},
                )
            say(f"{name}: idle searches")
            await searcher.start_phase(2)
            await asyncio.sleep(args.idle_s)
            out["idle_c2"] = (await searcher.start_phase(10)).summary()
            await asyncio.sleep(args.idle_s)
            out["idle_c10"] = (await searcher.stop()).summary()
            kw = {
                "chunk_size": args.chunk_size,
                "batch_docs": args.batch_docs,
                "target_chunks": args.chunks,
            }
            say(f"{name}: ingest alone")
            out["ingest_alone"] = await ingest(client, "bulk_alone", bulk, **kw)
            say(f"{name}: ingest with searches")
            await searcher.start_phase(2)
            phases: list[Searches] = []

            async def half() -> None:
                phases.append(await searcher.start_phase(10))

            out["ingest_with_searches"] = await ingest(
                client,
                "bulk_during",
                bulk,
                **kw,
                on_half=half,
            )
            out["during_c10"] = (await searcher.stop()).summary()
            out["during_c2"] = phases[0].summary()
    out["ratios"] = _ratios(out)
    return out


def markdown(report: dict[str, Any]) -> str:
    """One table row per configuration and phase."""
    lines = [
        f"Search during ingest ({report['chunks']} chunks of {report['chunk_size']} word pieces), "
        f"{report['machine']}; load average at start {report['loadavg_start']}, "
        f"end {report['loadavg_end']}",
        "",
        "| config | phase | searches | req/s | p50 ms | p95 ms | p99 ms | errors | embed / engine"
        " mean ms | ingest chunks/s | load avg (1 min) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for cfg in report["configs"]:
        name = cfg["config"]
        alone, busy = cfg["ingest_alone"], cfg["ingest_with_searches"]
        rates = {
            "idle_c2": "",
            "idle_c10": "",
            "during_c2": busy["first_half_chunks_per_s"],
            "during_c10": busy["second_half_chunks_per_s"],
        }
        for phase in ("idle_c2", "idle_c10", "during_c2", "during_c10"):
            row = cfg[phase]
            load = "-".join(f"{x[0]:.1f}" for x in row["loadavg"])
            lines.append(
                f"| {name} | {phase.replace('_c', ', c=')} | {row['searches']} | {row['per_s']} "
                f"| {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {row['errors']} "
                f"| {row.get('embed_mean_ms')} / {row.get('search_mean_ms')} "
                f"| {rates[phase]} | {load} |"
            )
        load = "-".join(f"{x[0]:.1f}" for x in alone["loadavg"])
        lines.append(
            f"| {name} | ingest alone | | | | | | | | {alone['first_half_chunks_per_s']} / "
            f"{alone['second_half_chunks_per_s']} (halves) | {load} |"
        )
    lines += [
        "",
        "| config | p95 during/idle c=2 (<= 2.5) | req/s during/idle c=2 (>= 0.5)"
        " | ingest with/alone c=2 (>= 0.8) | p95 during/idle c=10 | ingest with/alone c=10 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cfg in report["configs"]:
        r = cfg["ratios"]
        lines.append(
            f"| {cfg['config']} | {r['p95_during_over_idle_c2']} | {r['per_s_during_over_idle_c2']}"
            f" | {r['ingest_with_c2_over_alone']} | {r['p95_during_over_idle_c10']}"
            f" | {r['ingest_with_c10_over_alone']} |"
        )
    return "\n".join(lines) + "\n"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Each configuration asked for, one after another, in one report."""
    report: dict[str, Any] = {
        "benchmark": "search_during_ingest",
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpu",
        "chunks": args.chunks,
        "chunk_size": args.chunk_size,
        "seed_docs": args.seed_docs,
        "idle_s": args.idle_s,
        "loadavg_start": loadavg(),
        "configs": [],
    }
    with tempfile.TemporaryDirectory(prefix="ragmono-sdi-") as tmp:
        for name in args.configs.split(","):
            report["configs"].append(await run_config(name, args, Path(tmp)))
            print(json.dumps(report["configs"][-1]["ratios"]), flush=True)
    report["loadavg_end"] = loadavg()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    parser.add_argument("--seed-docs", type=int, default=200)
    parser.add_argument("--bulk-docs", type=int, default=1000, help="documents to draw from")
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--chunk-size", type=int, default=64)
    parser.add_argument("--batch-docs", type=int, default=8)
    parser.add_argument("--idle-s", type=float, default=15.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "search-during-ingest.json")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    table = markdown(report)
    args.out.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
