"""Search latency while a collection is reindexed, against the same searches before it.

    .venv/bin/python benchmarks/reindex.py                     # 2000 documents
    .venv/bin/python benchmarks/reindex.py --docs 500 --out benchmarks/results/reindex.json

The real app (embedded engine, local MiniLM embedder) runs in-process behind an ASGI test
client. A collection of ``--docs`` short documents (one chunk each) is ingested, then:

- ``baseline``: hybrid searches, one after another, for ``--baseline-s`` seconds;
- ``during``: the same searches while ``POST .../reindex`` rebuilds the collection with
  ``local/all-MiniLM-L6-v2`` (the same model: the work of a reindex without an Ollama here),
  until the job ends.

Reported: p50/p95/p99 and throughput of both phases, the reindex duration and chunks/s, and
whether every search during the reindex answered 200 with results. The search cache is off so
every search reaches the engine. The machine is shared (2 cores): numbers are provisional.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from ragmono.app import create_app
from ragmono.settings import load_settings

_REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_REPO))  # run as a file: ``benchmarks`` importable

from benchmarks.timing import percentiles  # noqa: E402

WORDS = [
    "alarm",
    "badge",
    "barrier",
    "coffee",
    "courtyard",
    "desk",
    "fridge",
    "garden",
    "holiday",
    "invoice",
    "ladder",
    "library",
    "locker",
    "meeting",
    "parking",
    "permit",
    "printer",
    "printer",
    "quarterly",
    "roof",
    "server",
    "toner",
    "visitor",
    "window",
]


def _settings(data_dir: Path) -> Any:
    env = {
        "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
        "RAGMONO_CACHE__TTL_S": "0",
        "RAGMONO_RATE_LIMIT__ENABLED": "false",
        "RAGMONO_LOGGING__LEVEL": "warning",
        "RAGMONO_BACKUP__SCHEDULE": "",
    }
    return load_settings(None, env)


def _doc(i: int) -> dict[str, Any]:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(12)]
    return {"id": f"d{i}", "text": f"note {i}: " + " ".join(words)}


def _summary(latencies: list[float], seconds: float) -> dict[str, float]:
    ms = [x * 1000 for x in latencies]
    q = percentiles(ms)
    return {
        "searches": len(ms),
        "p50_ms": round(q[50], 2),
        "p95_ms": round(q[95], 2),
        "p99_ms": round(q[99], 2),
        "per_s": round(len(ms) / seconds, 1),
    }


async def _search(http: Any, i: int, failures: list[str]) -> float:
    body = {"collection": "docs", "query": f"{WORDS[i % len(WORDS)]} permit", "top_k": 5}
    started = time.perf_counter()
    response = await http.post("/api/v1/search", json=body)
    took = time.perf_counter() - started
    if response.status_code != 200 or not response.json()["results"]:
        failures.append(f"{response.status_code}: {response.text[:200]}")
    return took


async def run(docs: int, baseline_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncTestClient(app=create_app(_settings(Path(tmp)))) as http:
            assert (await http.post("/api/v1/collections", json={"name": "docs"})).is_success
            for start in range(0, docs, 200):
                batch = [_doc(i) for i in range(start, min(start + 200, docs))]
                written = await http.post(
                    "/api/v1/collections/docs/documents",
                    json={"documents": batch},
                )
                assert written.is_success, written.text
            failures: list[str] = []
            baseline: list[float] = []
            began = time.perf_counter()
            while time.perf_counter() - began < baseline_s:
                baseline.append(await _search(http, len(baseline), failures))
            base_s = time.perf_counter() - began

            started = await http.post(
                "/api/v1/collections/docs/reindex", json={"embedder": "local/all-MiniLM-L6-v2"}
            )
            assert started.status_code == 202, started.text
            location = started.headers["location"]
            during: list[float] = []
            began = time.perf_counter()
            while (job := (await http.get(location)).json())["state"] in ("queued", "running"):
                during.append(await _search(http, len(during), failures))
            took = time.perf_counter() - began
            return {
                "benchmark": "reindex",
                "docs": docs,
                "machine": platform.platform(),
                "provisional": True,
                "job_state": job["state"],
                "reindex_s": round(took, 2),
                "chunks_per_s": round(job["progress"]["chunks_done"] / took, 1),
                "baseline": _summary(baseline, base_s),
                "during_reindex": _summary(during, took) if during else {},
                "failed_searches": len(failures),
                "failures": failures[:5],
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--baseline-s", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/reindex.json"))
    args = parser.parse_args()
    result = asyncio.run(run(args.docs, args.baseline_s))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
