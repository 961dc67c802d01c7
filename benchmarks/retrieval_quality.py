"""Retrieval quality on BEIR SciFact through ragmono's own HTTP API.

Ingests the corpus (``title + " " + text``, ids kept) into a fresh collection through
``POST /api/v1/collections/{name}/documents``, runs every test query through
``POST /api/v1/search`` in dense, keyword and hybrid mode, maps chunk hits to documents (best
chunk per document) and reports nDCG@10, recall@10 and recall@100 per mode, with ingest time
and query latency. Settings are the shipped defaults; nothing here is tuned on the test queries.

    .venv/bin/python benchmarks/retrieval_quality.py                 # full: 5,183 docs, 300 queries
    .venv/bin/python benchmarks/retrieval_quality.py --docs 500 --queries 50
    .venv/bin/python benchmarks/retrieval_quality.py --data-dir /tmp/scifact  # keep the ingest

With ``--data-dir`` the collection is kept there and a later run on the same directory skips
the ingest (the ingest time then comes from the first run). Each mode's chunk hits
are written beside the report (``*-runs.json``) so fusion functions can be compared on them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from benchmarks.beir import (
    BeirDataset,
    best_chunk_per_document,
    load_beir,
    ndcg_at_k,
    recall_at_k,
)
from benchmarks.timing import nearest_rank
from ragmono.app import create_app
from ragmono.logging import configure_logging
from ragmono.settings import LoggingSettings, load_settings

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "eval" / "scifact"
MODES = ("dense", "keyword", "hybrid")
COLLECTION = "scifact"
BATCH = 64


def subset(data: BeirDataset, docs: int | None, queries: int | None) -> BeirDataset:
    """The first ``queries`` judged queries, their relevant documents, then other documents in
    corpus order up to ``docs``. Deterministic, so the regression guard sees the same data."""
    query_ids = sorted(data.qrels, key=int)[:queries] if queries else sorted(data.qrels, key=int)
    qrels = {q: data.qrels[q] for q in query_ids}
    chosen = dict.fromkeys(d for q in query_ids for d in qrels[q])
    if docs is None:
        chosen = dict.fromkeys(data.corpus)
    else:
        others = [d for d in data.corpus if d not in chosen]
        chosen.update(dict.fromkeys(others[: max(0, docs - len(chosen))]))
    return BeirDataset(
        corpus={d: data.corpus[d] for d in chosen},
        queries={q: data.queries[q] for q in query_ids},
        qrels=qrels,
    )


async def evaluate(
    data: BeirDataset, data_dir: Path, top_k: int = 100, runs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Ingest ``data`` into an app on ``data_dir`` (unless already there) and score every mode.

    ``runs``, when given, receives each mode's chunk hits (id, document, score) per query.
    """
    settings = load_settings(
        None,
        {
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_INGEST__ASYNC_THRESHOLD_BYTES": str(1 << 30),
            "RAGMONO_RATE_LIMIT__ENABLED": "false",
            "RAGMONO_CACHE__TTL_S": "0",
            "RAGMONO_LOGGING__LEVEL": "warning",
        },
    )
    report: dict[str, Any] = {"documents": len(data.corpus), "queries": len(data.qrels)}
    async with AsyncTestClient(app=create_app(settings), timeout=600) as http:
        existing = await http.get(f"/api/v1/collections/{COLLECTION}")
        ingested = existing.status_code == 200
        if ingested:
            report["collection"] = existing.json()
        else:
            created = await http.post("/api/v1/collections", json={"name": COLLECTION})
            created.raise_for_status()
            report["collection"] = created.json()
        ids = [] if ingested else list(data.corpus)
        started = time.perf_counter()
        for start in range(0, len(ids), BATCH):
            batch = [
                {"id": d, "text": data.document_text(d), "source": f"scifact/{d}"}
                for d in ids[start : start + BATCH]
            ]
            response = await http.post(
                f"/api/v1/collections/{COLLECTION}/documents", json={"documents": batch}
            )
            response.raise_for_status()
        report["ingest_seconds"] = None if ingested else round(time.perf_counter() - started, 2)
        stats = (await http.get(f"/api/v1/collections/{COLLECTION}")).json()["stats"]
        report["chunks"] = stats["points"]
        report["modes"] = {}
        for mode in MODES:
            run: dict[str, dict[str, float]] = {}
            chunk_run: dict[str, list[tuple[str, str, float]]] = {}
            latencies: list[float] = []
            for query_id in data.qrels:
                t0 = time.perf_counter()
                response = await http.post(
                    "/api/v1/search",
                    json={
                        "query": data.queries[query_id],
                        "collection": COLLECTION,
                        "top_k": top_k,
                        "mode": mode,
                    },
                )
                latencies.append((time.perf_counter() - t0) * 1000)
                response.raise_for_status()
                results = response.json()["results"]
                hits = [(h["document_id"], h["score"]) for h in results]
                run[query_id] = best_chunk_per_document(hits)
                chunk_run[query_id] = [(h["id"], h["document_id"], h["score"]) for h in results]
            if runs is not None:
                runs[mode] = chunk_run
            report["modes"][mode] = {
                "ndcg@10": round(ndcg_at_k(run, data.qrels, 10), 4),
                "recall@10": round(recall_at_k(run, data.qrels, 10), 4),
                "recall@100": round(recall_at_k(run, data.qrels, 100), 4),
                "latency_ms_p50": round(statistics.median(latencies), 2),
                "latency_ms_p95": round(nearest_rank(sorted(latencies), 95), 2),
                "latency_ms_p99": round(nearest_rank(sorted(latencies), 99), 2),
            }
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as a markdown table."""
    lines = [
        f"SciFact: {report['documents']} documents ({report['chunks']} chunks), "
        f"{report['queries']} queries; ingest {report['ingest_seconds'] or 'reused'} s",
        "",
        "| mode | nDCG@10 | recall@10 | recall@100 | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode, m in report["modes"].items():
        lines.append(
            f"| {mode} | {m['ndcg@10']:.4f} | {m['recall@10']:.4f} | {m['recall@100']:.4f} "
            f"| {m['latency_ms_p50']} | {m['latency_ms_p95']} | {m['latency_ms_p99']} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    # As the served app logs: warnings only (here, not in evaluate(): tests import it).
    configure_logging(LoggingSettings(level="warning", format="console"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--docs", type=int, default=None, help="subset size (default: all)")
    parser.add_argument("--queries", type=int, default=None, help="subset size (default: all)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep/reuse the ingest here")
    args = parser.parse_args()
    data = subset(load_beir(args.data), args.docs, args.queries)
    runs: dict[str, Any] = {}
    if args.data_dir is not None:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        report = asyncio.run(evaluate(data, args.data_dir, runs=runs))
    else:
        with tempfile.TemporaryDirectory(prefix="ragmono-beir-") as tmp:
            report = asyncio.run(evaluate(data, Path(tmp), runs=runs))
    report["machine"] = {"platform": platform.platform(), "python": platform.python_version()}
    report["when"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    args.out.mkdir(parents=True, exist_ok=True)
    name = "retrieval-quality" + ("-full" if args.docs is None else f"-{len(data.corpus)}docs")
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{name}.md").write_text(markdown(report) + "\n")
    (args.out / f"{name}-runs.json").write_text(json.dumps(runs) + "\n")
    print(markdown(report))


if __name__ == "__main__":
    main()
