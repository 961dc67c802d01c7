"""What the HTTP metrics middleware costs: GET /health with metrics on vs off, in one run.

1. Over HTTP: two granian servers (1 worker each, 127.0.0.1, separate data dirs) run the same
   app, one with ``metrics.enabled=false``. A small asyncio HTTP/1.1 keep-alive client drives
   each in alternating rounds (bounded in time and count), recording every request's latency;
   the servers' CPU time is read from /proc, so the cost per request is known even when the
   client (sharing 2 cores) is the bottleneck.
2. In process: the same two apps called directly as ASGI callables, CPU time per request of
   the calling thread, alternating rounds, best round kept: the middleware's own cost without
   sockets, client or scheduler noise.

Both log at ``warning``, so the per-request access line does not hide the metrics cost in a
bigger baseline.

    .venv/bin/python benchmarks/metrics_overhead.py [--seconds 1.5] [--rounds 10] [--connections 16]

Writes benchmarks/results/metrics_overhead.json. Numbers on a shared machine are provisional.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.timing import percentiles  # noqa: E402
from tests.support.ports import free_port, wait_for_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
REQUEST = b"GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
MAX_REQUESTS_PER_ROUND = 500_000


class Server:
    """One granian process tree serving ragmono on a free loopback port."""

    def __init__(self, name: str, metrics: bool, data_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        env = {
            **os.environ,
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_METRICS__ENABLED": str(metrics).lower(),
            "RAGMONO_LOGGING__LEVEL": "warning",
            "RAGMONO_LOGGING__FORMAT": "json",
        }
        granian = str(Path(sys.executable).with_name("granian"))
        options = "--interface asgi --factory --workers 1 --host 127.0.0.1 --no-access-log"
        options += f" --log-level warning --port {self.port} ragmono.asgi:app"
        self.proc = subprocess.Popen(
            [granian, *options.split()],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout_s=60)

    def cpu_seconds(self) -> float:
        """User + system CPU of the granian process and every descendant (its workers)."""
        total = 0.0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += (int(fields[11]) + int(fields[12])) / TICKS
        return total

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except (FileNotFoundError, ProcessLookupError):
                    continue
                parents[int(entry.name)] = int(stat[1])
        tree, frontier = [self.proc.pid], [self.proc.pid]
        while frontier:
            children = [pid for pid, ppid in parents.items() if ppid in frontier]
            tree += children
            frontier = children
        return tree

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def _connection(
    port: int, deadline: float, latencies: list[float], budget: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(REQUEST)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"unexpected response: {head[:60]!r}")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _round(server: Server, seconds: float, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    budget = [MAX_REQUESTS_PER_ROUND]
    cpu_before, started = server.cpu_seconds(), time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(server.port, deadline, latencies, budget) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu_before
    cuts = percentiles(latencies)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "server_cpu_us_per_request": cpu / len(latencies) * 1e6,
        "p50_ms": cuts[50] * 1000,
        "p95_ms": cuts[95] * 1000,
        "p99_ms": cuts[99] * 1000,
    }


def _pairwise_pct(
    results: dict[str, list[dict[str, float]]],
    key: str,
    invert: bool = False,
    other: str = "metrics_on",
) -> float:
    pairs = zip(results["metrics_off"], results[other], strict=True)
    ratios = [on[key] / off[key] for off, on in pairs]
    median = statistics.median(ratios)
    return round(((1 - median) if invert else (median - 1)) * 100, 1)


def _median(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(r[key] for r in rounds), 3) for key in rounds[0]}


def _scope() -> dict[str, object]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/health",
        "raw_path": b"/health",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "state": {},
    }


async def _receive() -> dict[str, object]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _discard(message: object) -> None:
    return None


async def in_process(batches: int, batch: int) -> dict[str, float]:
    """Median CPU microseconds per /health request through the ASGI app, off vs on.

    Small batches alternate between the two apps so both see the same background load; the
    median batch is kept, which shrugs off batches hit by another process on a shared core.
    """
    from litestar.testing import AsyncTestClient

    from ragmono.app import create_app
    from ragmono.logging import configure_logging
    from ragmono.settings import LoggingSettings, load_settings

    configure_logging(LoggingSettings(level="warning", format="json"))
    with tempfile.TemporaryDirectory() as tmp:
        apps = {
            name: create_app(
                load_settings(
                    None,
                    {
                        "RAGMONO_STORAGE__DATA_DIR": f"{tmp}/{name}",
                        "RAGMONO_METRICS__ENABLED": str(name == "metrics_on").lower(),
                    },
                )
            )
            for name in ("metrics_off", "metrics_on")
        }
        costs: dict[str, list[float]] = {name: [] for name in apps}
        async with AsyncTestClient(apps["metrics_off"]), AsyncTestClient(apps["metrics_on"]):
            for batch_no in range(batches + 10):  # the first 10 warm up
                for name, app in apps.items():
                    started = time.thread_time()
                    for _ in range(batch):
                        await app(_scope(), _receive, _discard)  # type: ignore[arg-type]
                    if batch_no >= 10:
                        costs[name].append((time.thread_time() - started) / batch * 1e6)
    off, on = statistics.median(costs["metrics_off"]), statistics.median(costs["metrics_on"])
    return {
        "requests_each": batches * batch,
        "cpu_us_per_request_off": round(off, 2),
        "cpu_us_per_request_on": round(on, 2),
        "cpu_us_added_per_request": round(on - off, 2),
        "cpu_cost_pct": round((on / off - 1) * 100, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="length of each round")
    parser.add_argument("--rounds", type=int, default=10, help="rounds per server, alternating")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        servers = [
            Server("metrics_off", False, Path(tmp) / "off"),
            Server("metrics_on", True, Path(tmp) / "on"),
            # A second identical metrics-off server: the A/A difference is the noise floor.
            Server("control_off", False, Path(tmp) / "control"),
        ]
        try:
            results: dict[str, list[dict[str, float]]] = {s.name: [] for s in servers}
            for server in servers:  # warm-up: imports, first-route caches, JIT-free but lazy paths
                await _round(server, 1.0, args.connections)
            for _ in range(args.rounds):
                for server in servers:
                    measured = await _round(server, args.seconds, args.connections)
                    results[server.name].append(measured)
        finally:
            for server in servers:
                server.stop()

    off, on = _median(results["metrics_off"]), _median(results["metrics_on"])
    asgi = await in_process(batches=300, batch=200)
    summary = {
        "route": "GET /health",
        "connections": args.connections,
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "metrics_off": off,
        "metrics_on": on,
        # Median over adjacent off/on pairs: background load drifts slower than one pair.
        "throughput_cost_pct": _pairwise_pct(results, "rps", invert=True),
        "cpu_cost_pct": _pairwise_pct(results, "server_cpu_us_per_request"),
        "cpu_us_added_per_request": round(
            on["server_cpu_us_per_request"] - off["server_cpu_us_per_request"], 1
        ),
        "noise_floor_throughput_pct": _pairwise_pct(results, "rps", True, "control_off"),
        "noise_floor_cpu_pct": _pairwise_pct(
            results, "server_cpu_us_per_request", other="control_off"
        ),
        "asgi_in_process": asgi,
        "all_rounds": results,
        "note": "2 shared cores: client and server compete; provisional numbers",
    }
    out = REPO / "benchmarks" / "results" / "metrics_overhead.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    for name, row in (("metrics off", off), ("metrics on", on)):
        print(
            f"{name:12} {row['rps']:8.0f} req/s  cpu {row['server_cpu_us_per_request']:6.1f} us/req"
            f"  p50 {row['p50_ms']:.2f} ms  p95 {row['p95_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms"
        )
    print(
        f"throughput cost {summary['throughput_cost_pct']}%  server CPU cost "
        f"{summary['cpu_cost_pct']}% (+{summary['cpu_us_added_per_request']} us/req); "
        f"A/A noise floor {summary['noise_floor_throughput_pct']}% / "
        f"{summary['noise_floor_cpu_pct']}%"
    )
    print(
        f"in process   {asgi['cpu_us_per_request_off']} -> {asgi['cpu_us_per_request_on']} us/req"
        f" CPU: +{asgi['cpu_us_added_per_request']} us, {asgi['cpu_cost_pct']}% -> {out}"
    )


if __name__ == "__main__":
    asyncio.run(main())
