"""Cluster-mode routing overhead: what choosing a node and its breaker adds to each call.

Measures, in one run and one event loop, per-call latency of:

* ``direct``: awaiting a no-op coroutine with a client (the baseline);
* ``breaker``: that call through one node's closed breaker (the breaker's own share);
* ``routed``: ``ClusterVectorStore.run`` over 3 healthy nodes (round-robin choice, routability
  checks, breaker, error mapping);
* ``routed_1_open``: the same with one of the 3 nodes behind an open breaker (skipped);
* ``count_direct`` / ``count_routed``: a real ``count`` on qdrant-client's in-memory engine,
  directly and routed, to show the overhead next to a (very cheap) real call.

Target: routing overhead (routed p50 - direct p50) under 50 microseconds.

    .venv/bin/python benchmarks/cluster_routing.py [--calls 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from qdrant_client import AsyncQdrantClient, models

from benchmarks.timing import measure
from ragmono.adapters.qdrant.remote.cluster import ClusterVectorStore
from ragmono.errors import DependencyUnavailable
from ragmono.resilience import BreakerConfig, BreakerRegistry

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_OVERHEAD_US = 50.0
URLS = ["http://node-1:6333", "http://node-2:6333", "http://node-3:6333"]


async def noop(client: AsyncQdrantClient) -> None:
    return None


async def refused(client: AsyncQdrantClient) -> None:
    raise ConnectionRefusedError("refused")


async def memory_clients() -> list[AsyncQdrantClient]:
    client = AsyncQdrantClient(location=":memory:")
    await client.create_collection(
        "docs", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
    )
    await client.upsert(
        "docs",
        [models.PointStruct(id=i, vector=[1.0, float(i), 0.0, 1.0]) for i in range(100)],
    )
    return [client, client, client]  # three "nodes" replicating the same data


async def measure_us(
    name: str, call: Callable[[], Awaitable[object]], calls: int
) -> dict[str, Any]:
    return await measure(name, call, calls, unit="us")


def cluster(clients: list[AsyncQdrantClient]) -> ClusterVectorStore:
    registry = BreakerRegistry(BreakerConfig(fail_max=1, reset_timeout_s=3600))
    return ClusterVectorStore(URLS, breakers=registry, clients=clients, timeout_s=5.0)


async def main(calls: int) -> dict[str, Any]:
    clients = await memory_clients()
    healthy, degraded = cluster(clients), cluster(clients)
    with contextlib.suppress(DependencyUnavailable):  # open the first node's breaker
        await degraded.nodes[0].breaker.call(refused, clients[0])
    assert degraded.nodes[0].breaker.snapshot().state == "open"
    client, breaker = clients[0], healthy.nodes[0].breaker

    async def direct() -> None:
        await noop(client)

    async def through_breaker() -> None:
        await breaker.call(noop, client)

    async def routed() -> None:
        await healthy.run(noop)

    async def routed_1_open() -> None:
        await degraded.run(noop)

    async def count_direct() -> None:
        await client.count("docs")

    async def count_routed() -> None:
        await healthy.count("docs")

    small = max(1000, calls // 10)  # the in-memory engine is slow: fewer real calls
    rows = [
        await measure_us("direct", direct, calls),
        await measure_us("breaker", through_breaker, calls),
        await measure_us("routed", routed, calls),
        await measure_us("routed_1_open", routed_1_open, calls),
        await measure_us("count_direct", count_direct, small),
        await measure_us("count_routed", count_routed, small),
    ]
    by_name = {r["name"]: r for r in rows}
    overhead = {
        "routed_p50_us": round(by_name["routed"]["p50_us"] - by_name["direct"]["p50_us"], 2),
        "routed_p99_us": round(by_name["routed"]["p99_us"] - by_name["direct"]["p99_us"], 2),
        "routed_1_open_p50_us": round(
            by_name["routed_1_open"]["p50_us"] - by_name["direct"]["p50_us"], 2
        ),
        "count_p50_us": round(
            by_name["count_routed"]["p50_us"] - by_name["count_direct"]["p50_us"], 2
        ),
    }
    assert [n.calls > 0 for n in healthy.nodes] == [True, True, True]
    assert degraded.nodes[0].calls == 0, "an open node was routed to"
    await healthy.close()
    await degraded.close()
    return {
        "benchmark": "cluster_routing",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "note": "provisional: shared 2-core machine",
        "target_overhead_us": TARGET_OVERHEAD_US,
        "overhead": overhead,
        "results": rows,
    }


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # local-mode notices from qdrant-client
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000)
    report = asyncio.run(main(parser.parse_args().calls))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cluster_routing.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'path':<14} {'p50 us':>9} {'p95 us':>9} {'p99 us':>9} {'max us':>9} {'calls/s':>10}")
    for row in report["results"]:
        print(
            f"{row['name']:<14} {row['p50_us']:>9.2f} {row['p95_us']:>9.2f} "
            f"{row['p99_us']:>9.2f} {row['max_us']:>9.1f} {row['calls_per_s']:>10,}"
        )
    added = report["overhead"]["routed_p50_us"]
    verdict = "meets" if added < TARGET_OVERHEAD_US else "MISSES"
    print(f"routing overhead p50 {added:.2f} us {verdict} the {TARGET_OVERHEAD_US} us target")
    print(f"overheads: {report['overhead']}")
