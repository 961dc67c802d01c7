"""The local ONNX embedder: throughput and memory, run size, CPU arena, length sorting.

Each configuration runs in its own fresh process (memory is per process), in turn, ``--rounds``
times (A B C A B C), on the same texts: the chunks ingest makes of SciFact abstracts
(``title + " " + text``, default chunking).
Reported per configuration: texts/s, per-batch latency p50/p95/p99, resident memory after
loading the model, after the run, and at peak.

* ``shipped``: the embedder's own plan (sorted by length, runs of at most ``RUN_TOKENS``
  padded word pieces), onnxruntime's CPU memory arena on;
* ``batch-32``: sorted runs of 32 texts (the embedder before this benchmark: the baseline);
* ``no-arena``: the shipped plan with the arena off (memory back to malloc after every run);
* ``unsorted``: runs of 4 texts in the given order, not sorted by length.

    .venv/bin/python -m benchmarks.embedder [--texts 256] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.timing import nearest_rank

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
# shared/ sits beside the project's checkout (a worktree one level deeper finds it too).
SHARED = next((p / "shared" for p in REPO.parents if (p / "shared" / "eval").is_dir()), REPO)
SCIFACT = SHARED / "eval" / "scifact" / "corpus.jsonl"
CONFIGS: dict[str, dict[str, Any]] = {
    "shipped": {"cpu_arena": True, "sorted": True, "batch": None},
    "batch-32": {"cpu_arena": True, "sorted": True, "batch": 32},
    "no-arena": {"cpu_arena": False, "sorted": True, "batch": None},
    "unsorted": {"cpu_arena": True, "sorted": False, "batch": 4},
}


def load_texts(count: int) -> list[str]:
    """What ingest embeds: the default-sized chunks of SciFact documents, in document order
    (whole abstracts and a short tail chunk now and then)."""
    if not SCIFACT.exists():
        raise SystemExit(f"{SCIFACT} is missing: this benchmark measures SciFact chunks")
    from ragmono.adapters.tokenizer import load_chunking_tokenizer
    from ragmono.domain import ChunkingConfig
    from ragmono.modules.ingest import Chunker

    chunker, config = Chunker(load_chunking_tokenizer), ChunkingConfig()
    texts: list[str] = []
    with SCIFACT.open() as fh:
        for line in fh:
            doc = json.loads(line)
            pieces = chunker.split(f"{doc['title']} {doc['text']}", config, markdown=False)
            texts.extend(piece.text for piece in pieces)
            if len(texts) >= count:
                return texts[:count]
    return texts


def rss_mib() -> float:
    """Current resident memory of this process."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def run_one(config: str, texts: list[str]) -> dict[str, Any]:
    """One configuration in this process (called in a fresh subprocess)."""
    from ragmono.adapters.onnx_embedder import OnnxEmbedder

    options = CONFIGS[config]
    embedder = OnnxEmbedder(cpu_arena=bool(options["cpu_arena"]))
    loaded = rss_mib()
    warm_up, _ = embedder.plan(texts[:4])
    embedder.embed_encoded(warm_up)
    latencies: list[float] = []
    started = time.perf_counter()
    encodings, runs = embedder.plan(texts)  # tokenizing is part of the cost
    if options["batch"] is not None:  # fixed-size runs instead of the embedder's plan
        order = [i for run in runs for i in run] if options["sorted"] else list(range(len(texts)))
        size = int(options["batch"])
        runs = [order[i : i + size] for i in range(0, len(order), size)]
    for run in runs:
        t0 = time.perf_counter()
        embedder.embed_encoded([encodings[i] for i in run])
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "config": config,
        "texts": len(texts),
        "runs": len(runs),
        "texts_per_s": round(len(texts) / elapsed, 1),
        "batch_ms_p50": round(nearest_rank(latencies, 50), 1),
        "batch_ms_p95": round(nearest_rank(latencies, 95), 1),
        "batch_ms_p99": round(nearest_rank(latencies, 99), 1),
        "rss_loaded_mib": round(loaded),
        "rss_after_mib": round(rss_mib()),
        "rss_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    """Run every configuration in turn, ``--rounds`` times, each in a new process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts = load_texts(args.texts)
    if args.child:
        print(json.dumps(run_one(args.child, texts)))
        return
    runs: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        for config in CONFIGS:
            command = [sys.executable, "-m", "benchmarks.embedder", "--child", config]
            command += ["--texts", str(args.texts)]
            out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO)
            row = json.loads(out.stdout.strip().splitlines()[-1]) | {"round": round_}
            runs.append(row)
            print(json.dumps(row))
    summary = {
        config: {
            key: statistics.median(r[key] for r in runs if r["config"] == config)
            for key in ("texts_per_s", "batch_ms_p95", "rss_after_mib", "rss_peak_mib")
        }
        for config in CONFIGS
    }
    report = {
        "benchmark": "embedder",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": f"{platform.machine()} {platform.python_version()}",
        "texts": "SciFact chunks (title + text, default chunking)",
        "configs": CONFIGS,
        "summary_median": summary,
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embedder.json").write_text(json.dumps(report, indent=2) + "\n")
    for config, row in summary.items():
        print(f"{config:<9} {row}")


if __name__ == "__main__":
    main()
