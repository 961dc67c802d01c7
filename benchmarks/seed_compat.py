"""The seed's k6 load test against ragmono's seed-compatible API (``compat.seed_api``).

    .venv/bin/python -m benchmarks.seed_compat

A corpus of ~500 chunks is written as markdown files, a ``ragmono serve`` (auth on, rate limit
on with a high limit so both stay in the request path) gets the collection ``documentation``
through the seed's own routes (``POST /api/v1/rag/collections`` and ``.../ingest``), then
``benchmarks/k6/seed.js`` runs: 50 VUs on the seed's stages shortened to one minute, its
thresholds (p95 < 500 ms, failures < 10%, 503 "circuit open" < 5%). Writes
``benchmarks/results/seed_compat.json`` with the load average beside the figures.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks import report as rpt
from benchmarks.corpus import documents_for_chunks, generate_corpus, generate_queries
from benchmarks.harness import AppServer
from benchmarks.k6run import k6_version, run_k6

RESULTS = Path(__file__).resolve().parent / "results"
CHUNKS = 500
TOKEN = "bench-seed-token-0123456789abcdefghijklmn"


def prepare(work: Path) -> tuple[Path, Path]:
    """Corpus files under ``work/docs`` and the k6 query file; returns both paths."""
    docs = generate_corpus(documents_for_chunks(CHUNKS))
    root = work / "docs"
    for doc in docs:
        path = root / f"{doc.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc.text, encoding="utf-8")
    queries = [{"text": q.text} for q in generate_queries(docs, 60, seed=11)]
    query_file = work / "queries.json"
    query_file.write_text(json.dumps(queries))
    return root, query_file


def seed_collection(url: str, root: Path) -> dict[str, Any]:
    """Create and ingest ``documentation`` as the seed's dashboard would."""
    with httpx.Client(
        base_url=f"{url}/api/v1/rag", headers={"X-Service-Token": TOKEN}, timeout=900
    ) as http:
        created = http.post(
            "/collections",
            json={
                "name": "documentation",
                "description": "benchmark corpus",
                "directory": str(root),
                "embeddingModel": "nomic-embed-text",
                "fileTypes": ["md"],
            },
        )
        created.raise_for_status()
        ingested = http.post("/collections/documentation/ingest")
        ingested.raise_for_status()
        data: dict[str, Any] = ingested.json()["data"]
        job_id = data["job"]["jobId"]
        # A slow machine may take longer than compat.ingest_wait_s: load only after the job.
        while True:
            job = http.get(f"{url}/api/v1/jobs/{job_id}").json()
            if job["state"] in ("succeeded", "failed", "cancelled", "interrupted"):
                data["final_state"] = job["state"]
                return data
            time.sleep(1)


def main() -> None:
    """Run once and write the result file."""
    with tempfile.TemporaryDirectory(prefix="ragmono-seed-bench-") as tmp:
        work = Path(tmp)
        root, query_file = prepare(work)
        settings = {
            "RAGMONO_COMPAT__SEED_API": "true",
            "RAGMONO_INGEST__ALLOWED_ROOTS": str(work),
            "RAGMONO_AUTH__SERVICE_TOKENS": TOKEN,
            "RAGMONO_RATE_LIMIT__ENABLED": "true",
            "RAGMONO_RATE_LIMIT__DEFAULT": "100000/minute",
        }
        app = AppServer(work / "data", settings, work / "server.log")
        app.start()
        try:
            ingest = seed_collection(app.url, root)
            load_before = rpt.loadavg()
            run = run_k6(
                "seed.js",
                "seed_compat",
                {"BASE_URL": app.url, "QUERIES": str(query_file), "TOKEN": TOKEN},
                work,
                timeout_s=300,
            )
            load_after = rpt.loadavg()
        finally:
            app.stop()
    result = {
        "benchmark": "seed_compat",
        "command": ".venv/bin/python -m benchmarks.seed_compat",
        "machine": rpt.machine(),
        "k6": k6_version(),
        "scenario": "benchmarks/k6/seed.js, PROFILE=quick (10s->10, 20s->50, 20s hold, 10s->0 "
        "VUs), 1-3 s think time, GET /api/v1/rag/search?query=&max_results=5",
        "ingest": {"chunks_planned": CHUNKS, "job_state": ingest["final_state"]},
        "requests": run.count("http_reqs"),
        "http_req_duration_ms": run.trend("http_req_duration"),
        "http_req_failed_rate": run.rate("http_req_failed"),
        "circuit_breaker_open_rate": run.rate("circuit_breaker_open_rate"),
        "checks": run.checks(),
        "thresholds": run.thresholds(),
        "passed": run.exit_code == 0,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "note": "2-core machine shared with other helpers' work; k6 runs on it too",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "seed_compat.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
