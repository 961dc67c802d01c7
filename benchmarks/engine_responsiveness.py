"""Does the API stay responsive while the embedded engine ingests and builds its index?

Serves the real app (``create_app`` with an embedded vector store) with granian on 127.0.0.1,
upserts N chunks in batches, asks for the index build, and meanwhile probes ``/health`` at
10 Hz, a cache-hit route at 10 Hz and dense searches at 5 Hz. Probes are open-loop: each is sent
at its scheduled time whether or not the previous one answered, so a frozen event loop shows up
as latency, not as fewer samples.

Vectors are precomputed (random unit vectors, generated once at server start) to isolate the
engine from embedding cost; each search asks for a stored point's own vector and counts as wrong
unless that point comes back first. Designs:

- ``thread``: the old adapter (engine in the API process on one thread), the baseline;
- ``sliced``: the same with upserts in 32-point slices and ``asyncio.sleep(0)`` between;
- ``current``: ``EmbeddedVectorStore`` (``adapters/qdrant/embedded/``) as it is in this tree.

Run: ``.venv/bin/python benchmarks/engine_responsiveness.py --points 100000``
(``--points 10000`` for a quick run; ``--designs current`` to run one design).
Writes ``benchmarks/results/engine_responsiveness-<points>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from litestar import Litestar, get, post
from litestar.response import Response

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.memory import HashingEmbedder
from ragmono.app import create_app
from ragmono.asgi import freeze_startup_objects
from ragmono.domain import Chunk, ChunkPoint, SparseVector, VectorQuery
from ragmono.lifespan import Adapters
from ragmono.logging import configure_logging
from ragmono.settings import load_settings

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO))  # run as a file: ``benchmarks`` importable

from benchmarks.timing import percentiles  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLLECTION = "bench"
DIM = 384
NAMESPACE = uuid.UUID("6f1c2b1e-0000-4000-8000-000000000000")
TEXT = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco "
    "laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in "
    "voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat "
    "cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum."
)


def point_id(i: int) -> str:
    """The id of the i-th benchmark point."""
    return str(uuid.uuid5(NAMESPACE, str(i)))


# -- server side (imported by granian in its worker process) --------------------------------------


def bench_app() -> Litestar:
    """The app with the design from ``BENCH_DESIGN`` and the benchmark-only routes mounted."""
    settings = load_settings(None, os.environ)
    configure_logging(settings.logging)
    design, points = os.environ["BENCH_DESIGN"], int(os.environ["BENCH_POINTS"])
    vectors_dir = settings.data_path / "vectors"
    store: Any
    if design == "current":
        from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore

        store = EmbeddedVectorStore(vectors_dir)
    else:
        sys.path.insert(0, str(HERE))
        from baseline_thread_store import SlicedThreadVectorStore, ThreadVectorStore

        store = (
            ThreadVectorStore(vectors_dir)
            if design == "thread"
            else SlicedThreadVectorStore(vectors_dir)
        )
    rng = np.random.default_rng(7)
    dense = rng.standard_normal((points, DIM), dtype=np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    terms = rng.integers(0, 5000, size=(points, 12))
    cached_body = json.dumps({"answer": "cached", "hits": [point_id(i) for i in range(10)]})

    def make_point(i: int) -> ChunkPoint:
        idx = sorted(set(int(t) for t in terms[i]))
        return ChunkPoint(
            id=point_id(i),
            dense=dense[i].tolist(),
            sparse=SparseVector(indices=idx, values=[1.0] * len(idx)),
            chunk=Chunk(
                document_id=f"doc-{i // 20}",
                source=f"doc-{i // 20}.md",
                chunk_index=i % 20,
                chunk_total=20,
                content_hash=f"{i:064x}",
                text=f"{i} {TEXT}",
            ),
        )

    @post("/bench/upsert")
    async def upsert(data: dict[str, int]) -> dict[str, int]:
        batch = [make_point(i) for i in range(data["start"], data["start"] + data["count"])]
        await store.upsert(COLLECTION, batch)
        return {"upserted": len(batch)}

    @post("/bench/optimize")
    async def optimize() -> dict[str, bool]:
        await store.optimize(COLLECTION)
        return {"scheduled": True}

    @get("/bench/stats")
    async def stats() -> dict[str, Any]:
        s = await store.stats(COLLECTION)
        return {"points": s.points, "indexed_points": s.indexed_points}

    @get("/bench/search/{k:int}")
    async def search(k: int) -> dict[str, Any]:
        query = VectorQuery(mode="dense", limit=5, dense=dense[k].tolist())
        hits = await store.search(COLLECTION, query)
        return {"correct": bool(hits) and hits[0].id == point_id(k), "hits": len(hits)}

    @get("/bench/cached")
    async def cached() -> Response[bytes]:
        return Response(cached_body.encode(), media_type="application/json")

    adapters = Adapters(
        vector_store=store, embedder=HashingEmbedder(DIM), sparse_encoder=Bm25Encoder()
    )
    app = create_app(settings, adapters=adapters)
    for handler in (upsert, optimize, stats, search, cached):
        app.register(handler)
    app.on_startup.append(freeze_startup_objects)  # as ragmono.asgi:app does, for every design
    app.on_shutdown.append(store.close)
    return app


# -- driver ---------------------------------------------------------------------------------------


class Recorder:
    """Latencies and failures of one probe kind, tagged with the phase they were sent in."""

    def __init__(self) -> None:
        self.samples: list[tuple[str, float]] = []
        self.failures: list[tuple[str, str]] = []
        self.wrong: dict[str, int] = {}

    def summary(self, phase: str | None = None) -> dict[str, Any]:
        lat = np.array([ms for p, ms in self.samples if phase is None or p == phase])
        failures = [e for p, e in self.failures if phase is None or p == phase]
        out: dict[str, Any] = {"n": int(lat.size), "failures": len(failures)}
        if failures:
            out["first_failures"] = failures[:3]
        if lat.size:
            for q, value in percentiles(lat.tolist()).items():
                out[f"p{q}_ms"] = round(value, 2)
            out["max_ms"] = round(float(lat.max()), 2)
        return out


class Run:
    """One design's run: phase bookkeeping and the probes."""

    def __init__(self, base: str, points: int) -> None:
        self.base = base
        self.points = points
        self.phase = "idle"
        self.ingested = 0
        self.stop = asyncio.Event()
        self.health, self.cached, self.search = Recorder(), Recorder(), Recorder()
        self.ready_log: list[dict[str, Any]] = []

    async def _probe(
        self, http: httpx.AsyncClient, rec: Recorder, path: str, check_correct: bool = False
    ) -> None:
        phase, started = self.phase, time.perf_counter()
        try:
            resp = await http.get(path)
            ms = (time.perf_counter() - started) * 1000
            if resp.status_code != 200:
                rec.failures.append((phase, f"{resp.status_code} {resp.text[:120]}"))
                return
            rec.samples.append((phase, ms))
            if check_correct and not resp.json()["correct"]:
                rec.wrong[phase] = rec.wrong.get(phase, 0) + 1
        except httpx.HTTPError as exc:
            rec.failures.append((phase, f"{type(exc).__name__}: {exc}"))

    async def _every(self, hz: float, fire: Any) -> None:
        tasks: set[asyncio.Task[None]] = set()
        tick, period = time.perf_counter(), 1.0 / hz
        while not self.stop.is_set():
            task = asyncio.create_task(fire())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            tick += period
            await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        await asyncio.gather(*tasks)

    async def probes(self) -> None:
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=50)
        timeout = httpx.Timeout(None)  # a frozen server shows as latency, however long
        async with (
            httpx.AsyncClient(base_url=self.base, limits=limits, timeout=timeout) as h,
            httpx.AsyncClient(base_url=self.base, limits=limits, timeout=timeout) as c,
            httpx.AsyncClient(base_url=self.base, limits=limits, timeout=timeout) as s,
            httpx.AsyncClient(base_url=self.base, timeout=timeout) as r,
        ):
            counter = iter(range(10**9))

            def search() -> Any:
                k = (next(counter) * 7919) % max(1, self.ingested)
                return self._probe(s, self.search, f"/bench/search/{k}", check_correct=True)

            async def ready() -> None:
                try:
                    body = (await r.get("/ready")).json()
                    qdrant = next(d for d in body["dependencies"] if d["name"] == "qdrant")
                    self.ready_log.append(
                        {
                            "t": round(time.time(), 1),
                            "phase": self.phase,
                            "reachable": qdrant["reachable"],
                            "extra": qdrant.get("extra", {}),
                        }
                    )
                except (httpx.HTTPError, ValueError, StopIteration) as exc:
                    self.ready_log.append({"phase": self.phase, "error": repr(exc)})

            await asyncio.gather(
                self._every(10, lambda: self._probe(h, self.health, "/health")),
                self._every(10, lambda: self._probe(c, self.cached, "/bench/cached")),
                self._every(5, search),
                self._every(1, ready),
            )


async def drive(base: str, points: int, batch: int, build_timeout_s: float) -> dict[str, Any]:
    """Create the collection, ingest, build the index, probing all along; the run's report."""
    run = Run(base, points)
    async with httpx.AsyncClient(base_url=base, timeout=None) as http:
        created = await http.post("/api/v1/collections", json={"name": COLLECTION})
        created.raise_for_status()
        first = await http.post("/bench/upsert", json={"start": 0, "count": batch})
        first.raise_for_status()
        run.ingested = batch
        probes = asyncio.create_task(run.probes())
        await asyncio.sleep(5.0)
        run.phase = "ingest"
        started = time.perf_counter()
        for start in range(batch, points, batch):
            count = min(batch, points - start)
            (await http.post("/bench/upsert", json={"start": start, "count": count}))
            run.ingested = start + count
        ingest_s = time.perf_counter() - started
        run.phase = "index_build"
        started = time.perf_counter()
        (await http.post("/bench/optimize")).raise_for_status()
        stats: dict[str, Any] = {}
        while time.perf_counter() - started < build_timeout_s:
            stats = (await http.get("/bench/stats")).json()
            if stats["indexed_points"] >= 2 * points:  # dense + keyword vector of every point
                break
            await asyncio.sleep(0.5)
        build_s = time.perf_counter() - started
        run.phase = "after"
        await asyncio.sleep(2.0)
        run.stop.set()
        await probes
    phases = ("idle", "ingest", "index_build", "after")
    report: dict[str, Any] = {
        "points": points,
        "batch": batch,
        "ingest_s": round(ingest_s, 2),
        "ingest_points_per_s": round((points - batch) / ingest_s, 1),
        "index_build_s": round(build_s, 2),
        "index_built": stats.get("indexed_points", 0) >= 2 * points,
        "final_stats": stats,
        "search_wrong": run.search.wrong,
    }
    for name, rec in (("health", run.health), ("cached", run.cached), ("search", run.search)):
        report[name] = {"all": rec.summary(), **{p: rec.summary(p) for p in phases}}
    states = [e.get("extra", {}) for e in run.ready_log if e.get("phase") == "index_build"]
    report["ready_during_build"] = states[:: max(1, len(states) // 5)][:6]
    return report


@contextlib.asynccontextmanager
async def serve(design: str, points: int, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """granian serving ``bench_app`` for ``design`` on a fresh data directory."""
    # Not in /tmp: other jobs on a shared machine sweep /tmp/ragmono-bench-* away mid-run.
    (HERE / ".work").mkdir(exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix=f"engine-{design}-", dir=HERE / ".work"))
    env = {
        **os.environ,
        "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "BENCH_DESIGN": design,
        "BENCH_POINTS": str(points),
        "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
        "RAGMONO_LOGGING__LEVEL": "warning",
        "RAGMONO_LOGGING__FORMAT": "json",
    }
    cmd = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "engine_responsiveness:bench_app",
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(*cmd, env=env, cwd=ROOT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(600):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"{design}: the server did not come up")
        yield proc
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 60)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def print_table(results: dict[str, dict[str, Any]]) -> None:
    """One line per design and phase: p50/p95/p99/max of each probe kind."""
    print(f"{'design':8} {'phase':12} {'probe':7} {'n':>5} {'fail':>4} "
          f"{'p50':>9} {'p95':>9} {'p99':>9} {'max':>10}")  # fmt: skip
    for design, rep in results.items():
        for phase in ("idle", "ingest", "index_build"):
            for probe in ("health", "cached", "search"):
                s = rep[probe][phase]
                cells = [f"{s.get(k, float('nan')):9.1f}" for k in ("p50_ms", "p95_ms", "p99_ms")]
                print(f"{design:8} {phase:12} {probe:7} {s['n']:5d} {s['failures']:4d} "
                      f"{' '.join(cells)} {s.get('max_ms', float('nan')):10.1f}")  # fmt: skip
        print(f"{design:8} ingest {rep['ingest_points_per_s']} pts/s, index build "
              f"{rep['index_build_s']} s (built: {rep['index_built']}), "
              f"wrong searches: {rep['search_wrong']}")  # fmt: skip


async def main() -> None:
    """Run each requested design in turn and write the combined JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--designs", default="thread,sliced,current")
    parser.add_argument("--build-timeout", type=float, default=3600.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    for design in args.designs.split(","):
        port = free_port()
        async with serve(design, args.points, port):
            print(f"== {design}: {args.points} points", flush=True)
            results[design] = await drive(
                f"http://127.0.0.1:{port}", args.points, args.batch, args.build_timeout
            )
        print_table({design: results[design]})
    out = args.out or HERE / "results" / f"engine_responsiveness-{args.points}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, shared (numbers provisional)",
        "python": platform.python_version(),
        "vectors": "precomputed random unit vectors (384 d), 12-term sparse vectors",
        "probes": "/health 10 Hz, cache-hit route 10 Hz, dense search 5 Hz, open loop",
    }
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print_table(results)
    print(f"wrote {out}")


if __name__ == "__main__":
    asyncio.run(main())
