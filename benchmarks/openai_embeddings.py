"""``POST /v1/embeddings`` throughput vs the raw local embedder, same texts, same run.

    .venv/bin/python -m benchmarks.openai_embeddings [--texts 256] [--rounds 2] [--scifact P]

Starts ``ragmono serve`` (granian, one worker, the shipped middleware with a service token) on
a free loopback port, then alternates, ``--rounds`` times, four targets over the same SciFact
chunks (what ingest embeds):

- ``raw-1`` / ``raw-32``: ``OnnxEmbedder.embed_documents`` in this process, 1 or 32 texts a call
  (the baseline: the model alone);
- ``v1-1`` / ``v1-32``: the official ``openai`` SDK's ``embeddings.create`` against the server,
  ``model="all-MiniLM-L6-v2"``, 1 or 32 texts a request, floats (``encoding_format="float"``)
  and, at 32, also the SDK's default base64 (``v1-32-b64``).

Targets run one after another (never concurrently), so each has both cores. Reports texts/s
and per-call p50/p95/p99 for each, the ratio v1/raw per batch size, and the 1-minute load
average beside every figure: the machine is shared, so compare within a run only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks import embedder as embedder_bench
from benchmarks.timing import nearest_rank

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
TOKEN = "bench-token-0123456789abcdefghijklmnopqrstu"


def free_port() -> int:
    """A free loopback TCP port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``ragmono serve`` with auth on; returns the process and its base URL once healthy."""
    port = free_port()
    env = {
        **os.environ,
        "RAGMONO_PROFILE": "prod",
        "RAGMONO_AUTH__SERVICE_TOKENS": TOKEN,
        "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
        "RAGMONO_LOGGING__LEVEL": "warning",
        "RAGMONO_BACKUP__DIR": str(data_dir / "backups"),
    }
    command = [str(Path(sys.executable).parent / "ragmono"), "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"ragmono serve did not start; see {data_dir / 'server.log'}")


def timed(
    name: str, batch: int, texts: list[str], call: Callable[[list[str]], Any]
) -> dict[str, Any]:
    """Embed ``texts`` ``batch`` at a time through ``call``; texts/s and per-call latency."""
    call(texts[:batch])  # warm up
    latencies: list[float] = []
    started = time.perf_counter()
    for start in range(0, len(texts), batch):
        t0 = time.perf_counter()
        vectors = call(texts[start : start + batch])
        latencies.append((time.perf_counter() - t0) * 1000)
        assert len(vectors) == len(texts[start : start + batch])
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "target": name,
        "batch": batch,
        "texts": len(texts),
        "texts_per_s": round(len(texts) / elapsed, 1),
        "p50_ms": round(nearest_rank(latencies, 50), 2),
        "p95_ms": round(nearest_rank(latencies, 95), 2),
        "p99_ms": round(nearest_rank(latencies, 99), 2),
        "load_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--scifact", type=Path, default=embedder_bench.SCIFACT, help="SciFact corpus.jsonl"
    )
    args = parser.parse_args()
    embedder_bench.SCIFACT = args.scifact  # a worktree is not beside shared/
    texts = embedder_bench.load_texts(args.texts)

    import openai

    from ragmono.adapters.onnx_embedder import OnnxEmbedder

    raw = OnnxEmbedder()

    def embed_raw(batch: list[str]) -> list[list[float]]:
        return asyncio.run(raw.embed_documents(batch))

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=TOKEN, max_retries=0, timeout=120)

        def embed_v1(batch: list[str], encoding: str = "float") -> list[Any]:
            response = client.embeddings.create(
                model="all-MiniLM-L6-v2",
                input=batch,
                encoding_format=encoding,  # type: ignore[arg-type]
            )
            return response.data

        try:
            for round_no in range(args.rounds):
                for name, batch, call in (
                    ("raw-1", 1, embed_raw),
                    ("v1-1", 1, embed_v1),
                    ("raw-32", 32, embed_raw),
                    ("v1-32", 32, embed_v1),
                    ("v1-32-b64", 32, lambda b: embed_v1(b, "base64")),
                ):
                    row = {**timed(name, batch, texts, call), "round": round_no + 1}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            client.close()
            proc.terminate()
            proc.wait(timeout=30)
    summary: dict[str, Any] = {}
    for name in ("raw-1", "v1-1", "raw-32", "v1-32", "v1-32-b64"):
        mine = [r for r in rows if r["target"] == name]
        summary[name] = {
            "texts_per_s": [r["texts_per_s"] for r in mine],
            "p50_ms": [r["p50_ms"] for r in mine],
            "p95_ms": [r["p95_ms"] for r in mine],
            "p99_ms": [r["p99_ms"] for r in mine],
            "load_1m": [r["load_1m"] for r in mine],
        }
    for batch in ("1", "32"):
        raw_best = max(summary[f"raw-{batch}"]["texts_per_s"])
        v1_best = max(summary[f"v1-{batch}"]["texts_per_s"])
        summary[f"ratio_v1_to_raw_batch_{batch}"] = round(v1_best / raw_best, 3)
    result = {
        "benchmark": "openai_embeddings",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "texts": args.texts,
        "rounds": args.rounds,
        "rows": rows,
        "summary": summary,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "openai_embeddings.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
