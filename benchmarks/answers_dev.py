"""Dev sample for the extractive answerer's rules: SQuAD questions kept out of the benchmark.

The benchmark (``benchmarks/answers.py``) asks a seeded sample of the even articles'
questions; this script draws a disjoint sample (other seed, benchmark questions removed), runs
retrieval once through the API on an ingest made by the benchmark (``--data-dir``) and scores
answerer variants offline on the same passages. Rules and constants of
``adapters/extractive_scoring.py`` were compared here, never on the benchmark's questions.

    .venv/bin/python -m benchmarks.answers_dev --data-dir /tmp/squad-data --sample 150
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
from pathlib import Path
from typing import Any

from benchmarks.answers import SEED, SQUAD, Question, normalize, squad_set


def dev_questions(sample: int) -> list[Question]:
    """``sample`` questions not in the benchmark's sample, drawn with another seed."""
    bench = {q.text for q in squad_set(SQUAD, 600, SEED).questions}
    everything = squad_set(SQUAD, 10**6, SEED).questions
    pool = [q for q in everything if q.text not in bench]
    return random.Random(SEED + 1).sample(pool, sample)


async def collect(data_dir: Path, questions: list[Question]) -> list[dict[str, Any]]:
    """Each question's passages (hybrid, top 5) from the app on ``data_dir``."""
    from litestar.testing import AsyncTestClient

    from ragmono.app import create_app
    from ragmono.logging import configure_logging
    from ragmono.settings import load_settings

    settings = load_settings(
        None,
        {
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_RATE_LIMIT__ENABLED": "false",
            "RAGMONO_CACHE__TTL_S": "0",
            "RAGMONO_LOGGING__LEVEL": "warning",
        },
    )
    configure_logging(settings.logging)  # as the served app: warnings only
    found = []
    async with AsyncTestClient(app=create_app(settings), timeout=900) as http:
        for q in questions:
            body = {"query": q.text, "collection": "bench", "top_k": 5}
            reply = await http.post("/api/v1/search", json=body)
            reply.raise_for_status()
            found.append({"question": q, "hits": reply.json()["results"]})
    return found


async def score(found: list[dict[str, Any]], variants: dict[str, dict[str, Any]]) -> None:
    """Answer recall and mean words per variant (module constants patched per run)."""
    from ragmono.adapters import extractive, extractive_scoring
    from ragmono.adapters.onnx_embedder import OnnxEmbedder
    from ragmono.ports import AnswerRequest, Passage

    embedder = OnnxEmbedder()
    vectors = {f["question"].text: await embedder.embed_query(f["question"].text) for f in found}
    for name, patch in variants.items():
        constants = {k: v for k, v in patch.items() if not k.startswith("_MOST")}
        saved = {k: getattr(extractive_scoring, k) for k in constants}
        for key, value in constants.items():
            setattr(extractive_scoring, key, value)
        answerer = extractive.ExtractiveGenerator(max_spans=patch.get("_MOST", 2))
        right, words = 0, []
        for f in found:
            q: Question = f["question"]
            passages = [
                Passage(n=n, id=h["id"], text=h["text"], source=h["source"])
                for n, h in enumerate(f["hits"], start=1)
            ]
            request = AnswerRequest(
                question=q.text,
                passages=passages,
                embedder=embedder,
                question_vector=vectors[q.text],
            )
            answer = await answerer.generate(request)
            said = normalize(answer)
            right += any(normalize(g) in said for g in q.golds)
            words.append(len(answer.split()) - answer.count("["))
        for key, value in saved.items():
            setattr(extractive_scoring, key, value)
        print(f"{name}: recall {right / len(found):.3f}, words {statistics.fmean(words):.1f}")
    await embedder.close()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=150)
    args = parser.parse_args()
    found = asyncio.run(collect(args.data_dir, dev_questions(args.sample)))
    variants: dict[str, dict[str, Any]] = {
        "shipped": {},
        "one span": {"_MOST": 1},
        "second span at 0.9": {"_SECOND_SPAN": 0.9},
    }
    asyncio.run(score(found, variants))


if __name__ == "__main__":
    main()
