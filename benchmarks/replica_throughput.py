"""Search throughput with 1, 2 and 3 ``ragmono serve`` replicas on this machine (#22).

    .venv/bin/python -m benchmarks.replica_throughput [--replicas 1,2,3] [--modes hybrid,dense]
        [--seconds 10] [--warmup 3] [--no-mirror] [--concurrency 8] [--docs 400] [--data DIR]

The replicas are deployed as in the scale-out tests (``tests/support/replicas.py``): the
installed ``ragmono serve`` (granian, one worker, the shipped local ONNX embedder) started by
:class:`benchmarks.harness.AppServer`, sharing one real ``redis-server``
(``tests/support/redis_server.py``) and one Qdrant in server mode. No Qdrant binary runs here,
so the Qdrant node is the HTTP twin of the tests (``tests/support/qdrant_twin.py``: Qdrant's
REST API over qdrant-client's local engine, a Python process behind one lock), started in a
process of its own (``benchmarks/qdrant_twin_process.py``) so its CPU is measured apart: it
may well be what limits throughput.

1. SciFact (BEIR, ``--data``): the judged documents of its 300 test queries, then more in
   corpus order up to ``--docs``, ingested once through the first replica into ``scifact``.
2. All replicas run from then on (idle ones cost next to nothing, and their CPU is measured).
   One pass per N in ``--replicas`` and then again in reverse order (1, 2, 3, 3, 2, 1: on a
   shared machine other work drifts, and the mirror cancels a steady drift), for each of
   ``--modes`` (hybrid, the default mode; dense, whose engine side is cheaper in the twin: the
   twin's keyword half scans every sparse vector in Python): searches of the 300 SciFact test
   queries, in file order and cycled, sent round-robin over the first N replicas by
   ``--concurrency`` closed-loop clients (one ``httpx.AsyncClient``), ``--warmup`` seconds
   unmeasured, then ``--seconds`` measured. Each N's passes are pooled into one row.

The result cache is off (``cache.ttl_s = 0``: every search embeds its query and reaches Qdrant,
so cycling the queries measures real work, and no Redis round trip happens per search), rate
limits are off, the backup schedule is empty. Reported per row: requests/s, p50/p95/p99, errors,
the replicas' own mean embed and engine time per search (``/metrics``), CPU seconds in the
window of each replica, the twin, redis-server, this client and everything else on the machine
(``/proc``), beside ``os.cpu_count()``, the CPU affinity and the load average before and after.
Writes ``benchmarks/results/replica-throughput.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.beir import BeirDataset, load_beir
from benchmarks.harness import REPO, AppServer
from benchmarks.proc_cpu import CpuSnapshot, cpu_delta
from benchmarks.qdrant_twin_process import TwinProcess
from benchmarks.replica_report import markdown
from benchmarks.timing import percentiles
from tests.support.redis_server import RedisServer

RESULTS = REPO / "benchmarks" / "results" / "replica-throughput.json"
DEFAULT_DATA = next(  # beside the checkout, or beside the main one for a git worktree
    (p / "shared/eval/scifact" for p in REPO.parents if (p / "shared/eval/scifact").is_dir()),
    REPO.parent / "shared/eval/scifact",
)
COLLECTION = "scifact"
BATCH_DOCS = 32
"""Documents per ingest request (~50 kB: under ingest.async_threshold_bytes, so no job)."""


def say(text: str) -> None:
    """Progress on stderr with the 1-minute load average."""
    print(f"{time.strftime('%H:%M:%S')} {text} (load {os.getloadavg()[0]:.2f})", file=sys.stderr)


def loadavg() -> list[float]:
    """1, 5 and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def sample(data: BeirDataset, docs: int) -> tuple[list[str], list[str]]:
    """Document ids (the judged ones first, then corpus order, ``docs`` in all) and the query
    texts (every test query, in file order)."""
    judged = dict.fromkeys(d for q in sorted(data.qrels, key=int) for d in data.qrels[q])
    chosen = list(judged)[:docs]
    chosen += [d for d in data.corpus if d not in judged][: max(0, docs - len(chosen))]
    return chosen, list(data.queries.values())


def ingest(url: str, data: BeirDataset, ids: list[str]) -> dict[str, Any]:
    """Create the collection and post the documents through one replica; seconds and chunks."""
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=600) as http:
        http.post("/api/v1/collections", json={"name": COLLECTION}).raise_for_status()
        for i in range(0, len(ids), BATCH_DOCS):
            batch = [
                {"id": d, "text": data.document_text(d), "source": f"scifact/{d}"}
                for d in ids[i : i + BATCH_DOCS]
            ]
            res = http.post(
                f"/api/v1/collections/{COLLECTION}/documents", json={"documents": batch}
            )
            res.raise_for_status()
            assert not res.json().get("failed"), res.text[:500]
        stats = http.get(f"/api/v1/collections/{COLLECTION}").json()["stats"]
    seconds = time.perf_counter() - started
    return {"documents": len(ids), "chunks": stats["points"], "seconds": round(seconds, 1)}


@dataclass
class Window:
    """Completions of one measured window: latencies, errors, when it opened and closed."""

    opened: float = 0.0
    closed: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    per_replica: list[int] = field(default_factory=list)


async def load(
    urls: list[str],
    queries: list[str],
    mode: str,
    concurrency: int,
    window: Window,
    until: float,
) -> None:
    """Closed-loop ``mode`` searches round-robin over ``urls`` until ``until``; completions
    inside ``window`` (its ``opened`` is set, ``closed`` still 0) are recorded."""
    turn = 0
    limits = httpx.Limits(max_connections=concurrency * len(urls))
    window.per_replica = [0] * len(urls)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal turn
        while time.perf_counter() < until:
            index, turn = turn, turn + 1
            replica = index % len(urls)
            text = queries[index % len(queries)]
            body = {"collection": COLLECTION, "query": text, "top_k": 10, "mode": mode}
            t0 = time.perf_counter()
            try:
                res = await http.post(f"{urls[replica]}/api/v1/search", json=body)
                error = None if res.status_code == 200 else f"HTTP {res.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            t1 = time.perf_counter()
            if window.opened and not window.closed and t1 >= window.opened:
                if error is None:
                    window.latencies_ms.append((t1 - t0) * 1000)
                    window.per_replica[replica] += 1
                else:
                    window.errors[error] = window.errors.get(error, 0) + 1

    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))


_STAGE_LINE = re.compile(r"^ragmono_query_duration_seconds_(sum|count)\{([^}]*)\} (\S+)$", re.M)


async def stages(urls: list[str], mode: str) -> dict[str, tuple[float, int]]:
    """Seconds and count of the ``embed`` and ``search`` (engine) stages of ``mode`` searches,
    summed over the replicas (their ``/metrics``)."""
    total: dict[str, list[float]] = {"embed": [0.0, 0.0], "search": [0.0, 0.0]}
    async with httpx.AsyncClient(timeout=30) as http:
        for url in urls:
            text = (await http.get(f"{url}/metrics")).text
            for kind, labels, value in _STAGE_LINE.findall(text):
                found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
                if found.get("mode") == mode and found.get("stage") in total:
                    total[found["stage"]][kind == "count"] += float(value)
    return {stage: (s, int(n)) for stage, (s, n) in total.items()}


async def measure(
    serving: list[AppServer],
    pids: dict[str, int],
    twin: TwinProcess,
    queries: list[str],
    mode: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """One pass: ``args.warmup`` s of ``mode`` searches over ``serving`` unmeasured, then
    ``args.seconds`` s measured; CPU of every process in ``pids`` (name -> root pid)."""
    urls = [r.url for r in serving]
    window = Window()
    start = time.perf_counter()
    until = start + args.warmup + args.seconds
    runner = asyncio.create_task(load(urls, queries, mode, args.concurrency, window, until))
    await asyncio.sleep(args.warmup)
    load_before, stages_before = loadavg(), await stages(urls, mode)
    calls_before = twin.data_calls()
    before = CpuSnapshot.take(pids)
    window.opened = before.at
    await asyncio.sleep(max(0.0, until - time.perf_counter()))
    after = CpuSnapshot.take(pids)
    window.closed = after.at
    await runner
    stages_after, calls_after = await stages(urls, mode), twin.data_calls()
    return {
        "replicas": len(serving),
        "mode": mode,
        "window": window,
        "cpu_s": cpu_delta(before, after),
        "stages": {
            k: (stages_after[k][0] - v[0], stages_after[k][1] - v[1])
            for k, v in stages_before.items()
        },
        "qdrant_calls": calls_after - calls_before,
        "loadavg": [load_before, loadavg()],
    }


def summarize(passes: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from the passes of one replica count and mode: their searches, latencies,
    errors and CPU seconds pooled; requests/s of each pass beside the pooled figure."""
    latencies = [x for p in passes for x in p["window"].latencies_ms]
    cpu: dict[str, float] = {}
    errors: dict[str, int] = {}
    for p in passes:
        for name, seconds in p["cpu_s"].items():
            cpu[name] = round(cpu.get(name, 0.0) + seconds, 2)
        for kind, count in p["window"].errors.items():
            errors[kind] = errors.get(kind, 0) + count
    row: dict[str, Any] = {"replicas": passes[0]["replicas"], "mode": passes[0]["mode"]}
    row |= {"searches": len(latencies), "seconds": cpu["wall"]}
    row["per_s"] = round(len(latencies) / cpu["wall"], 1)
    row["per_s_each_pass"] = [
        round(len(p["window"].latencies_ms) / p["cpu_s"]["wall"], 1) for p in passes
    ]
    row |= {f"p{q}_ms": round(v, 1) for q, v in percentiles(latencies).items()}
    row["errors"], row["error_kinds"] = sum(errors.values()), errors
    row["per_replica"] = [
        sum(c) for c in zip(*(p["window"].per_replica for p in passes), strict=True)
    ]
    for stage in ("embed", "search"):
        s, n = (sum(p["stages"][stage][i] for p in passes) for i in (0, 1))
        row[f"{stage}_mean_ms"] = round(s / n * 1000, 1) if n else None
    calls = sum(p["qdrant_calls"] for p in passes)
    row["qdrant_calls_per_search"] = round(calls / max(1, len(latencies)), 2)
    row["cpu_s"] = cpu
    row["loadavg"] = [load for p in passes for load in p["loadavg"]]
    return row


def start_replica(work: Path, number: int, redis: RedisServer, twin: TwinProcess) -> AppServer:
    """Replica ``number`` on the shared Redis and Qdrant, started and warmed with a few
    searches (the first ones load the keyword model); its log is ``work/replica_<n>.log``."""
    data = work / f"replica_{number}"
    data.mkdir()
    settings = {  # as tests/support/replicas.replica(), with the result cache off
        "RAGMONO_REDIS__URL": redis.url,
        "RAGMONO_VECTOR_STORE__MODE": "server",
        "RAGMONO_VECTOR_STORE__URL": twin.url,
        "RAGMONO_RATE_LIMIT__ENABLED": "false",
        "RAGMONO_CACHE__TTL_S": "0",
        "RAGMONO_BACKUP__SCHEDULE": "",
        "RAGMONO_BACKUP__DIR": str(data / "backups"),
    }
    server = AppServer(data, settings, work / f"replica_{number}.log")
    server.start(timeout_s=240)  # the ONNX model loads slowly on busy cores
    return server


def warm(url: str, queries: list[str]) -> None:
    """A few searches, one at a time, on a replica that has not answered one yet."""
    with httpx.Client(base_url=url, timeout=120) as http:
        for text in queries[-3:]:
            body = {"collection": COLLECTION, "query": text, "top_k": 10}
            http.post("/api/v1/search", json=body).raise_for_status()


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Ingest once, then one measured row per replica count and mode, adding replicas as it
    goes."""
    data = load_beir(args.data)
    ids, queries = sample(data, args.docs)
    counts = sorted(int(n) for n in args.replicas.split(","))
    modes = args.modes.split(",")
    report: dict[str, Any] = {
        "benchmark": "replica_throughput",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpu": cpu_model(),
            "cpu_count": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
        },
        "setup": {
            "queries": len(queries),
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
            "seconds": args.seconds,
            "modes": modes,
            "order": counts + counts[::-1] if args.mirror else counts,
            "cache": "off (cache.ttl_s = 0)",
        },
        "loadavg_start": loadavg(),
        "rows": [],
    }
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="ragmono-replicas-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        work = Path(tmp)
        redis = RedisServer()
        redis.start()
        stack.callback(redis.close)
        redis_pid = redis._proc.pid if redis._proc else 0  # RedisServer keeps its process private
        twin = stack.enter_context(TwinProcess(work / "twin.log"))
        replicas: list[AppServer] = []
        for n in range(1, max(counts) + 1):
            say(f"starting replica {n}")
            server = start_replica(work, n, redis, twin)
            stack.callback(server.stop)
            replicas.append(server)
            if n == 1:
                say(f"ingesting {len(ids)} SciFact documents through replica 1")
                report["corpus"] = ingest(server.url, data, ids)
                say(f"ingested {report['corpus']}")
            warm(server.url, queries)
        pids = {f"replica_{i + 1}": r.pid for i, r in enumerate(replicas)}
        pids |= {"twin": twin.pid, "redis": redis_pid}
        passes: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for n in report["setup"]["order"]:
            for mode in modes:
                say(f"{n} replica(s), {mode}: {args.warmup:.0f} s warm-up, {args.seconds:.0f} s")
                one = await measure(replicas[:n], pids, twin, queries, mode, args)
                passes.setdefault((n, mode), []).append(one)
                say(f"{n} replica(s), {mode}: {len(one['window'].latencies_ms)} searches")
        report["rows"] = [summarize(passes[(n, mode)]) for n in counts for mode in modes]
    report["loadavg_end"] = loadavg()
    report["wall_s"] = round(time.perf_counter() - started, 1)
    return report


def main() -> None:
    """Command line: run, print the markdown, write JSON and markdown under results/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2,3", help="comma-separated counts")
    parser.add_argument("--modes", default="hybrid,dense", help="search modes, each measured")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured per pass")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured load per pass")
    parser.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure 1,2,3 then 3,2,1 and pool each count's two passes (drift cancels)",
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a BEIR SciFact folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--render", action="store_true", help="only rewrite .md from --out")
    args = parser.parse_args()
    if args.render:
        report = json.loads(args.out.read_text())
        args.out.with_suffix(".md").write_text(markdown(report))
        return
    report = asyncio.run(run(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    args.out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
