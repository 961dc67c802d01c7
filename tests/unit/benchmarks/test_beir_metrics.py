"""The retrieval metrics agree with trec_eval on cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from benchmarks.beir import best_chunk_per_document, ndcg_at_k, recall_at_k


def test_perfect_ranking_scores_one() -> None:
    qrels = {"q": {"a": 1, "b": 1}}
    run = {"q": {"a": 0.9, "b": 0.8, "c": 0.1}}
    assert ndcg_at_k(run, qrels, 10) == pytest.approx(1.0)
    assert recall_at_k(run, qrels, 1) == pytest.approx(0.5)


def test_relevant_document_second_is_discounted() -> None:
    run = {"q": {"x": 0.9, "a": 0.5}}
    assert ndcg_at_k(run, {"q": {"a": 1}}, 10) == pytest.approx(1 / math.log2(3))


def test_missing_query_counts_as_zero_and_ties_break_by_id_descending() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    run = {"q1": {"a": 0.5, "z": 0.5}}  # tie: "z" ranks before "a"
    assert ndcg_at_k(run, qrels, 10) == pytest.approx((1 / math.log2(3)) / 2)
    assert recall_at_k(run, qrels, 1) == 0.0


def test_graded_relevance_uses_the_grade_as_gain() -> None:
    qrels = {"q": {"a": 2, "b": 1}}
    run = {"q": {"b": 0.9, "a": 0.8}}
    dcg = 1 / math.log2(2) + 2 / math.log2(3)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(run, qrels, 10) == pytest.approx(dcg / idcg)


def test_best_chunk_wins() -> None:
    assert best_chunk_per_document([("a", 0.2), ("b", 0.5), ("a", 0.7)]) == {"a": 0.7, "b": 0.5}
