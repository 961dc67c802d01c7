"""What the full middleware stack costs: a cheap route served by granian, with and without it.

Variants, each a granian process (1 worker) on 127.0.0.1 serving ``GET /api/v1/bench/ping``
(scope ``search``, a tiny JSON body), measured in one run, in rounds that interleave them:

* ``bare``: a Litestar app holding only that route (the baseline);
* ``edge_only``: that app plus the edge alone: service-token auth, scope check, in-memory rate
  limit, security and RateLimit-* headers;
* ``full_service_token``: ``create_app`` (request id + JSON access log, auth, rate limit in
  memory, security headers, CORS, and whatever else ``create_app`` wires, e.g. metrics),
  caller sends ``X-Service-Token``;
* ``full_jwt``: the same, caller sends an HS256 bearer JWT (signature and claims checked);
* ``full_redis``: the same as ``full_service_token``, rate limits counted in Redis (one
  round trip per request), when a ``redis-server`` binary is on PATH.

Before the served runs, each variant's app is also driven in this process without a server to
measure its CPU time per request (best of three, ``time.process_time``): on a busy shared
machine that attributes the cost far more steadily than throughput does.

The load generator is bounded: ``--connections`` keep-alive HTTP/1.1 connections, each sending
one request at a time, for ``--seconds`` after a warm-up. It runs in this process on raw
sockets (no HTTP client library in the way) while granian runs in its own.

    .venv/bin/python benchmarks/middleware_cost.py [--seconds 5] [--connections 16] [--rounds 2]
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
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO))  # run as a file: ``benchmarks`` importable

from benchmarks.timing import percentiles  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PATH = "/api/v1/bench/ping"
SERVICE_TOKEN = "bench-service-token-0123456789abcdefghijk"
JWT_SECRET = "bench-jwt-secret-0123456789abcdefghijklmno"


# --- the apps granian serves (imported in the granian worker) ---------------------------------


def serve_variant() -> Any:
    """granian factory: the app of the variant named by ``BENCH_VARIANT``."""
    from litestar import Litestar, get

    @get(PATH, opt={"scope": "search"}, sync_to_thread=False)
    def ping() -> dict[str, bool]:
        return {"ok": True}

    variant = os.environ["BENCH_VARIANT"]
    if variant == "bare":
        return Litestar([ping])

    from litestar.middleware import DefineMiddleware

    from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
    from ragmono.api.edge_middleware import EdgeMiddleware
    from ragmono.api.problems import EXCEPTION_HANDLERS
    from ragmono.app import create_app
    from ragmono.lifespan import Adapters, breaker_config, build_edge
    from ragmono.logging import configure_logging
    from ragmono.resilience import BreakerRegistry
    from ragmono.settings import load_settings

    settings = load_settings(None, os.environ)
    configure_logging(settings.logging)
    if variant == "edge_only":  # auth + rate limit + headers: what the edge issue adds
        edge = build_edge(settings)
        return Litestar(
            [ping],
            middleware=[DefineMiddleware(EdgeMiddleware, edge=edge)],
            before_send=[edge.add_headers],
            exception_handlers=EXCEPTION_HANDLERS,
        )
    adapters = Adapters(
        vector_store=MemoryVectorStore(),
        embedder=HashingEmbedder(),
        sparse_encoder=SimpleSparseEncoder(),
        breakers=BreakerRegistry(breaker_config(settings.breakers)),
    )
    app = create_app(settings, adapters=adapters)
    app.register(ping)
    return app


# --- orchestration ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    request = f"GET /health HTTP/1.1\r\nHost: b\r\nX-Service-Token: {SERVICE_TOKEN}\r\n\r\n"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(request.encode())
                if sock.recv(64).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"granian on {port} did not answer")


@contextlib.contextmanager
def granian(variant: str, env: dict[str, str]) -> Iterator[int]:
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "granian"),
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "error",
        "benchmarks.middleware_cost:serve_variant",
    ]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env, "BENCH_VARIANT": variant},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # the JSON access log is written (as deployed), then dropped
    )
    try:
        wait_ready(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


# --- load generator -----------------------------------------------------------------------------


async def connection_loop(
    port: int, request: bytes, stop_at: float, record_from: float, samples: list[int]
) -> dict[str, int]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    statuses: dict[str, int] = {}
    clock = time.perf_counter_ns
    record_ns = int(record_from * 1e9)
    try:
        while (now := clock()) < stop_at * 1e9:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if now >= record_ns:
                samples.append(clock() - now)
                status = head[9:12].decode()
                statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()
    return statuses


async def load(
    port: int, headers: dict[str, str], seconds: float, connections: int
) -> dict[str, Any]:
    lines = [f"GET {PATH} HTTP/1.1", "Host: bench"] + [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    samples: list[int] = []
    warmup = 1.0
    start = time.perf_counter()
    results = await asyncio.gather(
        *(
            connection_loop(port, request, start + warmup + seconds, start + warmup, samples)
            for _ in range(connections)
        )
    )
    statuses: dict[str, int] = {}
    for result in results:
        for status, count in result.items():
            statuses[status] = statuses.get(status, 0) + count
    cuts = percentiles(samples)

    def pct(q: int) -> float:
        return cuts[q] / 1e6

    return {
        "requests": len(samples),
        "throughput_rps": round(len(samples) / seconds, 1),
        "p50_ms": round(pct(50), 3),
        "p95_ms": round(pct(95), 3),
        "p99_ms": round(pct(99), 3),
        "statuses": statuses,
    }


async def drive_in_process(app: Any, headers: dict[str, str], requests: int) -> float:
    """CPU seconds per request of ``app`` called directly (no server, no sockets)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    startup: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, startup.get, events.put)
    )
    await events.get()
    best = float("inf")
    for _ in range(3):  # best of three: CPU time, so other processes on the machine barely count
        started = time.process_time()
        for _ in range(requests):
            await app(dict(scope, state={}), receive, send)
        best = min(best, (time.process_time() - started) / requests)
    await startup.put({"type": "lifespan.shutdown"})
    await events.get()
    await lifespan
    if set(statuses) != {200}:
        raise RuntimeError(f"in-process run answered {sorted(set(statuses))}")
    return best


_SINK = open(os.devnull, "w")  # noqa: SIM115 - the access log is written (as deployed), dropped


def in_process_cpu_us(variant: str, env: dict[str, str], headers: dict[str, str]) -> float:
    """Build the variant's app here and measure its CPU microseconds per request."""
    saved = dict(os.environ)
    os.environ.update({**env, "BENCH_VARIANT": variant})
    try:
        # structlog caches its stderr on first use, so the sink stays open for the whole run.
        with contextlib.redirect_stderr(_SINK):
            app = serve_variant()
            return asyncio.run(drive_in_process(app, headers, 3000)) * 1e6
    finally:
        os.environ.clear()
        os.environ.update(saved)


def jwt_header() -> dict[str, str]:
    from ragmono.modules.auth import issue_token

    token = issue_token(JWT_SECRET, ["search"], ttl_s=3600, subject="bench")
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="run only these variants (bare always runs)")
    args = parser.parse_args()

    full_env = {
        "RAGMONO_PROFILE": "prod",
        "RAGMONO_AUTH__SERVICE_TOKENS": SERVICE_TOKEN,
        "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
        "RAGMONO_RATE_LIMIT__DEFAULT": "1000000000/minute",
        "RAGMONO_LOGGING__FORMAT": "json",
        "RAGMONO_LOGGING__LEVEL": "info",
        "RAGMONO_CORS__ALLOW_ORIGINS": "https://app.example",
    }
    service = {"X-Service-Token": SERVICE_TOKEN}
    runs: dict[str, list[dict[str, Any]]] = {}
    with redis_server() as redis_url:
        variants: list[tuple[str, dict[str, str], dict[str, str]]] = [
            ("bare", {}, {}),
            ("edge_only", full_env, service),
            ("full_service_token", full_env, service),
            ("full_jwt", full_env, jwt_header()),
        ]
        if redis_url:
            variants.append(("full_redis", {**full_env, "RAGMONO_REDIS__URL": redis_url}, service))
        if args.only:
            variants = [v for v in variants if v[0] == "bare" or v[0] in args.only]
        cpu_us = {
            name: round(in_process_cpu_us(name, env, headers), 1) for name, env, headers in variants
        }
        for name, value in cpu_us.items():
            print(f"in-process CPU {name:20s} {value:>7.1f} us/request", flush=True)
        for round_no in range(args.rounds):
            for name, env, headers in variants:
                with granian(name, env) as port:
                    result = asyncio.run(load(port, headers, args.seconds, args.connections))
                runs.setdefault(name, []).append(result)
                print(
                    f"round {round_no + 1} {name:20s} {result['throughput_rps']:>9.1f} req/s  "
                    f"p50 {result['p50_ms']:.3f} ms  p95 {result['p95_ms']:.3f} ms  "
                    f"p99 {result['p99_ms']:.3f} ms  {result['statuses']}",
                    flush=True,
                )

    summary: dict[str, dict[str, Any]] = {}
    bare_rps = statistics.median(r["throughput_rps"] for r in runs["bare"])
    for name, results in runs.items():
        rps = statistics.median(r["throughput_rps"] for r in results)
        summary[name] = {
            "throughput_rps": rps,
            "vs_bare": round(rps / bare_rps, 3),
            "added_us_per_request": round(1e6 / rps - 1e6 / bare_rps, 1),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p95_ms": statistics.median(r["p95_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "in_process_cpu_us": cpu_us[name],
            "in_process_added_cpu_us": round(cpu_us[name] - cpu_us["bare"], 1),
        }
    print("\nmedian of rounds:")
    for name, row in summary.items():
        print(
            f"  {name:20s} {row['throughput_rps']:>9.1f} req/s  x{row['vs_bare']:.3f} of bare  "
            f"+{row['added_us_per_request']:.1f} us/req  p50 {row['p50_ms']:.3f}  "
            f"p95 {row['p95_ms']:.3f}  p99 {row['p99_ms']:.3f} ms  "
            f"CPU {row['in_process_cpu_us']:.1f} us (+{row['in_process_added_cpu_us']:.1f})"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "middleware_cost.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "middleware_cost",
                "route": f"GET {PATH}",
                "seconds": args.seconds,
                "connections": args.connections,
                "rounds": args.rounds,
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "note": "provisional: 2 shared cores, the load generator shares them",
                "summary": summary,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
