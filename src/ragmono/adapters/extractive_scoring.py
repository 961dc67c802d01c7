"""Scoring the extractive answerer's candidates: meaning and words, then the answer spans.

See ``adapters/extractive.py`` for the whole method; every constant here was fixed before any
benchmark run (their reasons are beside them), none fitted to a test set.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ragmono.ports import Passage

from .extractive_units import Candidate, Parsed, terms

__all__ = ["answer", "lexical_ranking"]

# BM25's customary constants (Robertson & Zaragoza), not fitted to any data set here.
_K1, _B = 1.2, 0.75
# A second span must score this share of the first: a near-equal, not a weak, extra fact.
_SECOND_SPAN = 0.8
# Below this cosine (MiniLM: unrelated text sits at 0.0-0.3) and with no shared word,
# nothing in the passages is about the question.
_RELATED = 0.35
# A sentence opening with a pronoun or demonstrative (after an optional connective) points
# back to the sentence before it.
_ANAPHOR = re.compile(
    r"^(?:(?:however|but|and|so|thus|therefore|also|instead),?\s+)?"
    r"(?:this|that|these|those|it|its|they|their|such|he|his|she|her)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Scored:
    passage: int
    span: Candidate
    words: float
    cosine: float
    covered: frozenset[str]
    size: int = 0
    """Content words in the span: fragments such as a heading line ("Annual leave.") carry
    no answer, so spans under four are damped in proportion (as the answerer always did)."""
    score: float = 0.0


def answer(
    question: str,
    passages: list[Passage],
    parsed: list[Parsed],
    meaning: list[list[np.ndarray | None]] | None,
    question_vector: np.ndarray | None,
    most: int,
) -> str:
    wanted = set(terms(question))
    scored, idf = _score(wanted, parsed, meaning, question_vector)
    best_cosine = max((s.cosine for s in scored if not math.isnan(s.cosine)), default=0.0)
    if not scored or (not any(s.covered for s in scored) and best_cosine < _RELATED):
        return _nothing_relevant(passages[0], parsed[0])
    singles = [s for s in scored if len(s.span.focus) == 1]
    best = max(singles or scored, key=_order)
    best = _with_antecedent(_widened(best, scored), scored, parsed[best.passage])
    chosen = [best]
    covered = set(best.covered)
    key_terms = _key_terms(idf)
    for other in sorted(scored, key=_order, reverse=True):
        if len(chosen) >= most or other.score < _SECOND_SPAN * best.score:
            break
        if not (other.covered - covered) & key_terms or _overlaps(other, chosen):
            continue
        other = _with_antecedent(other, scored, parsed[other.passage])
        joined = next((c for c in chosen if _overlaps(other, [c])), None)
        if joined is None:
            chosen.append(other)
        else:  # its antecedent is a chosen span: quote the two as one
            chosen[chosen.index(joined)] = _union(joined, other, scored)
        covered |= other.covered
    chosen.sort(key=lambda s: (s.passage, s.span.parts[0]))
    return " ".join(_quote(passages[s.passage], parsed[s.passage], s.span) for s in chosen)


def _order(s: _Scored) -> tuple[float, int, int]:
    # Near-ties go to the passage retrieval ranked higher, then to the earlier span.
    return (round(s.score, 9), -s.passage, -s.span.parts[0])


def _score(
    wanted: set[str],
    parsed: list[Parsed],
    meaning: list[list[np.ndarray | None]] | None,
    question: np.ndarray | None,
) -> tuple[list[_Scored], dict[str, float]]:
    """Every span scored, and the IDF of the question's words found in the passages."""
    all_units = [c for p in parsed for c in p.terms]
    if not all_units:
        return [], {}
    idf, average = _idf(wanted, all_units)
    scored: list[_Scored] = []
    for index, passage in enumerate(parsed):
        vectors = meaning[index] if meaning is not None else None
        for span in passage.spans:
            counts: Counter[str] = Counter()
            for part in span.parts:
                counts.update(passage.terms[part])
            length = sum(counts.values())
            words = _bm25(counts, idf, average)
            cosine = math.nan  # not embedded: scaled to the lowest below
            given = [vectors[i] for i in span.parts] if vectors is not None else []
            present = [v for v in given if v is not None]
            if present and question is not None:
                summed = np.sum(present, axis=0)
                norm = float(np.linalg.norm(summed))
                cosine = float(summed @ question) / norm if norm else 0.0
            scored.append(
                _Scored(
                    index,
                    span,
                    words,
                    cosine,
                    frozenset(t for t in wanted if counts[t]),
                    size=length,
                )
            )
    _combine(scored, meaning is not None)
    return scored, idf


def _idf(wanted: set[str], all_units: list[Counter[str]]) -> tuple[dict[str, float], float]:
    """BM25's IDF of each question word over the passages' units, and the mean unit length."""
    df: Counter[str] = Counter()
    for unit_terms in all_units:
        df.update(t for t in unit_terms if t in wanted)
    total = len(all_units)
    idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    return idf, sum(sum(c.values()) for c in all_units) / total or 1.0


def _bm25(counts: Counter[str], idf: dict[str, float], average: float) -> float:
    length = sum(counts.values())
    norm_tf = _K1 * (1 - _B + _B * length / average)
    return sum(
        weight * counts[t] * (_K1 + 1) / (counts[t] + norm_tf)
        for t, weight in idf.items()
        if counts[t]
    )


def lexical_ranking(parsed: list[Parsed], wanted: set[str]) -> list[tuple[int, int]]:
    """Every unit as (passage, position), best BM25 score first; ties in reading order
    (retrieval order, then position), so with no word shared the top passages come first."""
    all_units = [c for p in parsed for c in p.terms]
    if not all_units:
        return []
    idf, average = _idf(wanted, all_units)
    ranked = sorted(
        (-_bm25(counts, idf, average), passage, position)
        for passage, p in enumerate(parsed)
        for position, counts in enumerate(p.terms)
    )
    return [(passage, position) for _, passage, position in ranked]


def _key_terms(idf: dict[str, float]) -> set[str]:
    """The question's rarer half of words (IDF at or above the median): the ones a second
    span must bring for it to add a needed fact, not a repeat of common words."""
    if not idf:
        return set()
    weights = sorted(idf.values())
    median = weights[(len(weights) - 1) // 2]
    return {t for t, w in idf.items() if w >= median}


def _combine(scored: list[_Scored], with_meaning: bool) -> None:
    words = _scaled([s.words for s in scored])
    if not with_meaning:
        for s, w in zip(scored, words, strict=True):
            s.score = w * min(1.0, s.size / 4)
        return
    known = [s.cosine for s in scored if not math.isnan(s.cosine)]
    floor = min(known) if known else 0.0
    cosines = _scaled([floor if math.isnan(s.cosine) else s.cosine for s in scored])
    for s, w, c in zip(scored, words, cosines, strict=True):
        s.score = (0.5 * w + 0.5 * c) * min(1.0, s.size / 4)


def _scaled(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low <= 1e-12:
        return [1.0 if high > 0 else 0.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


def _widened(best: _Scored, scored: list[_Scored]) -> _Scored:
    """The span around ``best``'s sentence that adds question words it lacks, if any."""
    if best.span.focus != best.span.parts or len(best.span.parts) != 1:
        return best
    unit = best.span.parts[0]
    wider = [
        s
        for s in scored
        if s.passage == best.passage
        and len(s.span.focus) > 1
        and unit in s.span.parts
        and s.covered > best.covered
        and s.score >= best.score
    ]
    return max(wider, key=_order) if wider else best


def _overlaps(span: _Scored, chosen: list[_Scored]) -> bool:
    return any(
        span.passage == c.passage and set(span.span.parts) & set(c.span.parts) for c in chosen
    )


def _union(a: _Scored, b: _Scored, scored: list[_Scored]) -> _Scored:
    """The candidate made of both spans' units (adjacent sentences), else the first."""
    parts = sorted(set(a.span.parts) | set(b.span.parts))
    found = [s for s in scored if s.passage == a.passage and s.span.parts == parts]
    return found[0] if found else a


def _with_antecedent(best: _Scored, scored: list[_Scored], parsed: Parsed) -> _Scored:
    """``best`` with the sentence before it when it opens by pointing back ("This makes
    it slower", "It is right 99% of the time"): quoted alone, it would not say what it is
    about. Only within a paragraph, and only when the wider span is a candidate."""
    first = best.span.parts[0]
    unit = parsed.units[first]
    before = parsed.units[first - 1] if first > 0 else None
    if (
        unit.kind != "sentence"
        or before is None
        or before.kind != "sentence"
        or before.block != unit.block
        or not _ANAPHOR.match(unit.text)
    ):
        return best
    wanted = [first - 1, *best.span.parts]
    wider = [s for s in scored if s.passage == best.passage and s.span.parts == wanted]
    return wider[0] if wider else best


def _quote(passage: Passage, parsed: Parsed, span: Candidate) -> str:
    parts = [parsed.units[i] for i in span.parts]
    text = " ".join(u.text for u in parts)
    if any(u.kind == "code" for u in parts) and len(parts) > 1:
        lead = " ".join(u.text for u in parts if u.kind != "code")
        code = " ".join(f"`{u.text}`" for u in parts if u.kind == "code")
        text = f"{lead} {code}"
    return f"{text} [{passage.n}]"


def _nothing_relevant(passage: Passage, parsed: Parsed) -> str:
    sentences = [u.text for u in parsed.units if u.kind == "sentence"] or [
        u.text for u in parsed.units
    ]
    opening = next((s for s in sentences if len(terms(s)) >= 4), sentences[0] if sentences else "")
    return (
        "The passages found do not answer this directly. "
        f"The closest one says: {opening} [{passage.n}]"
    )
