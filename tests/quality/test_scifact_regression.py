"""Retrieval-quality floor on a 500-document SciFact subset, through the real HTTP API.

The full benchmark (``benchmarks/retrieval_quality.py``) reports the numbers; this guard fails
when a change to chunking, embedding, keyword vectors or fusion breaks retrieval. Floors sit a
little below the values measured with the shipped defaults (see CHANGELOG / README Quality).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.beir import load_beir
from benchmarks.retrieval_quality import evaluate

SUBSET = Path(__file__).parents[1] / "fixtures" / "scifact-small"

# Measured on this subset with the shipped defaults (2026-11-23): dense 0.9108, keyword 0.8761,
# hybrid 0.9263. Floors sit ~0.03 below, so noise passes and a real regression does not.
FLOORS = {"dense": 0.88, "keyword": 0.845, "hybrid": 0.895}


@pytest.mark.slow
@pytest.mark.timeout(1800)  # embeds ~950 chunks of 250 tokens: about a minute on 2 idle cores
async def test_every_mode_stays_above_its_floor(tmp_path: Path) -> None:
    report = await evaluate(load_beir(SUBSET), tmp_path, top_k=100)
    scores = {mode: m["ndcg@10"] for mode, m in report["modes"].items()}
    print(f"SciFact subset nDCG@10: {scores}")  # shown with -rP: the figures behind the floors
    for mode, floor in FLOORS.items():
        assert scores[mode] >= floor, f"{mode} nDCG@10 {scores[mode]:.4f} fell below {floor}"
    # The default mode (hybrid, DBSF) never loses to its parts by more than noise.
    assert scores["hybrid"] >= max(scores["dense"], scores["keyword"]) - 0.005
