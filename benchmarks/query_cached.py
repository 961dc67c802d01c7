"""Cached query and search throughput against a bare endpoint of the same app, same run.

    .venv/bin/python benchmarks/query_cached.py                 # ~1.5 min
    .venv/bin/python benchmarks/query_cached.py --duration 5 --connections 8 --rounds 2

Seeds a small handbook collection with the real local embedder, serves the app with
``ragmono serve`` (granian, one worker) on 127.0.0.1 with the shipped middleware on (auth with
a service token, rate limits set high enough not to trip), warms the cache with one request
each, then drives it with a bounded load generator: ``--connections`` keep-alive HTTP/1.1
connections from this process, each sending the next request when the last one answered, for
``--duration`` seconds per target. Targets alternate (bare, query, search) for ``--rounds``
rounds so machine noise hits them alike:

- ``bare``: ``GET /health`` (liveness: a constant JSON body, the framework's floor);
- ``query``: ``POST /api/v1/query`` with the same body every time (a cache hit);
- ``search``: ``POST /api/v1/search`` likewise;
- ``search_get``: ``GET /api/v1/search?q=...`` for the same search: a cache hit served by the
  framework's generic path (the POST routes answer hits before the framework parses), so the
  run also shows what the fast path saves.

Reports req/s, p50/p95/p99 latency and server CPU per request (granian process tree, from
/proc) per target, and the cached/bare ratios of throughput and of CPU per request (target:
query >= 0.5). The load generator shares the 2-core machine with the server, and
other work runs on it too, so numbers are provisional.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import httpx

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.domain import Chunk, ChunkPoint, CollectionSpec

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO))  # run as a file: ``benchmarks`` importable

from benchmarks.timing import percentiles  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
TOKEN = "bench-token-0123456789abcdef0123456789abcdef"
FACTS = [
    "Every employee receives 25 days of paid annual leave per calendar year.",
    "A password reset link is emailed to you and stays valid for 30 minutes.",
    "Meals on business trips are reimbursed up to 60 euros per day.",
    "The espresso machine on the third floor is descaled every Friday afternoon.",
    "Lost employee badges are replaced by the facilities desk within one working day.",
    "Staff may work from home up to three days per week.",
    "The replacement gasket ships from Rotterdam under reference ZX-4471-B.",
    "Economy class is required for flights shorter than six hours.",
]
QUERY = {"collection": "handbook", "query": "How long is a password reset link valid?"}
SEARCH_GET = "/api/v1/search?" + urllib.parse.urlencode(
    {"q": QUERY["query"], "collection": "handbook"}
)


async def seed(data_dir: Path) -> None:
    """Store the facts, 40 variants each, as the app's embedded collection."""
    embedder, bm25 = OnnxEmbedder(), Bm25Encoder()
    store = EmbeddedVectorStore(data_dir / "vectors")
    try:
        await store.create_collection(CollectionSpec(name="handbook", embedder=embedder.ref))
        texts = [f"{fact} (revision {i})" for fact in FACTS for i in range(40)]
        vectors = await embedder.embed_documents(texts)
        await store.upsert(
            "handbook",
            [
                ChunkPoint(
                    id=f"00000000-0000-0000-0000-{i:012d}",
                    dense=vec,
                    sparse=bm25.encode_document(text),
                    chunk=Chunk(
                        document_id=f"doc-{i}",
                        source=f"handbook/{i}.md",
                        chunk_index=0,
                        chunk_total=1,
                        content_hash=str(i),
                        text=text,
                    ),
                )
                for i, (text, vec) in enumerate(zip(texts, vectors, strict=True))
            ],
        )
    finally:
        await store.close()
        await embedder.close()


def request_bytes(method: str, path: str, body: dict[str, Any] | None) -> bytes:
    """One pre-encoded HTTP/1.1 keep-alive request."""
    payload = json.dumps(body).encode() if body is not None else b""
    head = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"X-Service-Token: {TOKEN}",
        "Connection: keep-alive",
    ]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def one_connection(
    port: int, request: bytes, deadline: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    """Send ``request`` back to back on one connection until ``deadline``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants (granian's workers)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in family]
        family.update(children)
        frontier.extend(children)
    return sum(times.get(p, 0.0) for p in family)


async def load(
    port: int, request: bytes, connections: int, duration_s: float, server_pid: int
) -> dict[str, Any]:
    """Bounded closed-loop load: ``connections`` clients for ``duration_s`` seconds."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu_before = tree_cpu_s(server_pid)
    started = time.perf_counter()
    deadline = started + duration_s
    await asyncio.gather(
        *(one_connection(port, request, deadline, latencies, statuses) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    cpu_s = tree_cpu_s(server_pid) - cpu_before
    cuts = percentiles(latencies)
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        # Server CPU per request: steadier than throughput on a busy shared machine.
        "server_cpu_us": round(cpu_s / len(latencies) * 1e6, 1),
        "p50_ms": round(cuts[50], 3),
        "p95_ms": round(cuts[95], 3),
        "p99_ms": round(cuts[99], 3),
        "statuses": statuses,
    }


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """``ragmono serve`` on 127.0.0.1 with auth on and rate limits out of the way."""
    env = {
        **os.environ,
        "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
        "RAGMONO_AUTH__SERVICE_TOKENS": TOKEN,
        "RAGMONO_RATE_LIMIT__DEFAULT": "100000000/minute",
        "RAGMONO_LOGGING__LEVEL": "info",  # the access log line is part of the cost
        "RAGMONO_LOGGING__FORMAT": "json",
    }
    ragmono = Path(sys.executable).parent / "ragmono"
    return subprocess.Popen(
        [str(ragmono), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError("the server did not come up")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per target run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18731)
    args = parser.parse_args()
    targets = {
        "bare": request_bytes("GET", "/health", None),
        "query": request_bytes("POST", "/api/v1/query", QUERY),
        "search": request_bytes("POST", "/api/v1/search", QUERY),
        "search_get": request_bytes("GET", SEARCH_GET, None),
    }
    with tempfile.TemporaryDirectory(prefix="ragmono-qbench-") as tmp:
        data_dir = Path(tmp)
        await seed(data_dir)
        server = serve(data_dir, args.port)
        try:
            await wait_ready(args.port)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{args.port}", headers={"X-Service-Token": TOKEN}
            ) as http:
                warm = {
                    "query": (await http.post("/api/v1/query", json=QUERY)).json(),
                    "search": (await http.post("/api/v1/search", json=QUERY)).json(),
                }
                cached = (await http.post("/api/v1/query", json=QUERY)).json()["cached"]
                assert cached, "the second identical query must be a cache hit"
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
                for round_no in range(args.rounds):
                    for name, request in targets.items():
                        result = await load(
                            args.port, request, args.connections, args.duration, server.pid
                        )
                        runs[name].append(result)
                        print(f"round {round_no + 1} {name:<7} {json.dumps(result)}", flush=True)
                stats = (await http.get("/api/v1/admin/cache")).json()
        finally:
            server.terminate()
            server.wait(timeout=30)
    summary = {name: _merge(results) for name, results in runs.items()}
    bare = summary["bare"]["rps"]
    report = {
        "benchmark": "query_cached",
        "provisional": "shared 2-core machine; load generator in the same machine",
        "server": "ragmono serve (granian, 1 worker) on 127.0.0.1, shipped middleware",
        "connections": args.connections,
        "duration_s_per_run": args.duration,
        "rounds": args.rounds,
        "answer": warm["query"]["answer"],
        "summary": summary,
        "ratio_vs_bare": {n: round(summary[n]["rps"] / bare, 3) for n in summary if n != "bare"},
        # Throughput ratio a dedicated core would give: bare CPU per request / target's.
        "cpu_ratio_vs_bare": {
            n: round(summary["bare"]["server_cpu_us"] / summary[n]["server_cpu_us"], 3)
            for n in summary
            if n != "bare"
        },
        "cache_stats": stats,
        "runs": runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "query_cached.json").write_text(json.dumps(report, indent=2) + "\n")
    keys = ("summary", "ratio_vs_bare", "cpu_ratio_vs_bare")
    print(json.dumps({k: report[k] for k in keys}, indent=2))


def _merge(results: list[dict[str, Any]]) -> dict[str, float]:
    """Median of the rounds' throughput and percentiles."""
    return {
        key: round(statistics.median(r[key] for r in results), 3)
        for key in ("rps", "server_cpu_us", "p50_ms", "p95_ms", "p99_ms")
    }


if __name__ == "__main__":
    asyncio.run(main())
