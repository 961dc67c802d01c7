"""BEIR data sets and the trec_eval metrics ragmono reports (nDCG@k, recall@k).

Definitions follow pytrec_eval / trec_eval, as BEIR and MTEB use them:
- a run is ranked by score descending, ties broken by document id descending;
- nDCG@k uses the relevance grade as the gain and log2(rank + 1) as the discount; the ideal
  ranking sorts the judged documents by grade;
- recall@k is |relevant in top k| / |relevant|, per query, then averaged over queries;
- every judged query counts: a query the system returned nothing for scores 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

Run = Mapping[str, Mapping[str, float]]  # query id -> doc id -> score
Qrels = Mapping[str, Mapping[str, int]]  # query id -> doc id -> relevance grade


@dataclass(frozen=True, slots=True)
class BeirDataset:
    """Documents, queries and judgements of one BEIR split."""

    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def document_text(self, doc_id: str) -> str:
        """``title + " " + text``, as BEIR and MTEB index documents."""
        title, text = self.corpus[doc_id]
        return f"{title} {text}".strip()


def load_beir(directory: Path) -> BeirDataset:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels-test.tsv`` from ``directory``."""
    corpus: dict[str, tuple[str, str]] = {}
    with (directory / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            corpus[str(row["_id"])] = (row.get("title", ""), row["text"])
    queries: dict[str, str] = {}
    with (directory / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            queries[str(row["_id"])] = row["text"]
    qrels: dict[str, dict[str, int]] = {}
    with (directory / "qrels-test.tsv").open(encoding="utf-8") as fh:
        next(fh)  # header
        for line in fh:
            query_id, doc_id, score = line.rstrip("\n").split("\t")
            qrels.setdefault(query_id, {})[doc_id] = int(score)
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels)


def _ranked(scores: Mapping[str, float]) -> list[str]:
    return [doc for doc, _ in sorted(scores.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)]


def ndcg_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Mean nDCG@k over the judged queries."""
    total = 0.0
    for query_id, judged in qrels.items():
        ranking = _ranked(run.get(query_id, {}))[:k]
        dcg = sum(judged.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranking))
        ideal = sorted(judged.values(), reverse=True)[:k]
        idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
    return total / len(qrels)


def recall_at_k(run: Run, qrels: Qrels, k: int) -> float:
    """Mean recall@k over the judged queries."""
    total = 0.0
    for query_id, judged in qrels.items():
        relevant = {doc for doc, grade in judged.items() if grade > 0}
        top = set(_ranked(run.get(query_id, {}))[:k])
        total += len(relevant & top) / len(relevant) if relevant else 0.0
    return total / len(qrels)


def best_chunk_per_document(hits: list[tuple[str, float]]) -> dict[str, float]:
    """Chunk hits (document id, score) -> each document's best score."""
    best: dict[str, float] = {}
    for doc_id, score in hits:
        if score > best.get(doc_id, -math.inf):
            best[doc_id] = score
    return best
