"""The extractive answerer: no LLM, always available, deterministic.

Candidates are whole sentences (1-3 adjacent ones of a paragraph), list items with their
lead-in sentence and code lines with the sentence that introduces them
(``extractive_units``). Each is scored by meaning, the cosine between the question's vector
and the candidate's under the collection's own embedder (units embedded in one batch and
cached by text, so a passage seen again costs nothing), and by words, BM25 over the
passages' units with Snowball stems. Both scores are min-max scaled over the question's
candidates and weighted equally (no reason to favour one a priori). The answer is the best
single unit, widened to its neighbours only when they hold question words it lacks, plus at
most one more span that holds a different needed fact; each is quoted whole and cited
``[n]``. When nothing shares a word or a meaning with the question it says so.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import snowballstemmer

from ragmono.domain import DependencyHealth
from ragmono.errors import DependencyUnavailable
from ragmono.ports import AnswerRequest, Embedder, Passage

from .extractive_units import Candidate, Unit, candidates, units

__all__ = ["NO_PASSAGES_ANSWER", "ExtractiveGenerator", "answer_tokens", "terms"]

NO_PASSAGES_ANSWER = "I found no passages to answer this question from."
# BM25's customary constants (Robertson & Zaragoza), not fitted to any data set here.
_K1, _B = 1.2, 0.75
# A second span must score this share of the first: a near-equal, not a weak, extra fact.
_SECOND_SPAN = 0.8
# Below this cosine (MiniLM: unrelated text sits at 0.0-0.3) and with no shared word,
# nothing in the passages is about the question.
_RELATED = 0.35
# Units embedded per question at most: about one passage's sentences (250 word pieces).
_MEANING_UNITS = 12
_WORD = re.compile(r"[a-z0-9]+(?:['_.-][a-z0-9]+)*")
_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "mine",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "much",
        "many",
        "tell",
        "know",
        "need",
        "want",
        "also",
        "there's",
        "what's",
        "it's",
        "i'm",
    ]
)
_stemmer = snowballstemmer.stemmer("english")


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stop words dropped), in order."""
    words = [w.strip("'.-_") for w in _WORD.findall(text.lower())]
    stems: list[str] = _stemmer.stemWords([w for w in words if w and w not in _STOP])
    return stems


def answer_tokens(answer: str) -> list[str]:
    """How an answer is streamed: each word with the white space before it."""
    return re.findall(r"\s*\S+", answer)


@dataclass(frozen=True, slots=True)
class _Parsed:
    units: list[Unit]
    spans: list[Candidate]
    terms: list[Counter[str]]


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class ExtractiveGenerator:
    """:class:`~ragmono.ports.Generator` that quotes the passages instead of writing."""

    def __init__(self, *, max_spans: int = 2, cache_passages: int = 4096) -> None:
        self._most = max_spans
        self._parsed: _Lru[str, _Parsed] = _Lru(cache_passages)
        # About 10 units a passage: a 40k-unit cache holds 4k passages' vectors (~60 MiB).
        self._vectors: _Lru[tuple[str, str], np.ndarray] = _Lru(10 * cache_passages)

    @property
    def name(self) -> str:
        """Always ``extractive``."""
        return "extractive"

    @property
    def model(self) -> str:
        """No model."""
        return ""

    async def generate(self, request: AnswerRequest) -> str:
        """The whole extractive answer."""
        passages = list(request.passages)
        if not passages:
            return NO_PASSAGES_ANSWER
        parsed = [self._parse(p.text) for p in passages]
        meaning = await self._meaning(request, parsed, set(terms(request.question)))
        vector = None
        if meaning is not None and request.question_vector is not None:
            vector = np.asarray(request.question_vector, dtype=np.float32)
            vector /= float(np.linalg.norm(vector)) or 1.0
        return _answer(request.question, passages, parsed, meaning, vector, self._most)

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """The same answer word by word (each word with the white space before it)."""
        for token in answer_tokens(await self.generate(request)):
            yield token

    async def health(self) -> DependencyHealth:
        """Always available."""
        return DependencyHealth(
            name="generator", mode="extractive", reachable=True, latency_ms=0.0, required=False
        )

    async def close(self) -> None:
        """Nothing to release."""

    def _parse(self, text: str) -> _Parsed:
        parsed = self._parsed.get(text)
        if parsed is None:
            found = units(text)
            parsed = _Parsed(found, candidates(found), [Counter(terms(u.text)) for u in found])
            self._parsed.put(text, parsed)
        return parsed

    async def _meaning(
        self, request: AnswerRequest, parsed: list[_Parsed], wanted: set[str]
    ) -> list[list[np.ndarray | None]] | None:
        """Unit vectors per passage (None for units not embedded), or None at all.

        Meaning re-ranks a shortlist (:func:`_shortlist`); vectors are cached by unit text, so
        a passage seen again costs nothing.
        """
        embedder = request.embedder
        if embedder is None or request.question_vector is None:
            return None
        label = embedder.ref.label
        chosen = _shortlist(parsed, wanted)
        missing = list(
            dict.fromkeys(
                u.text
                for p, picks in zip(parsed, chosen, strict=True)
                for u, pick in zip(p.units, picks, strict=True)
                if pick and self._vectors.get((label, u.text)) is None
            )
        )
        if missing:
            try:
                vectors = await _embed(embedder, missing)
            except DependencyUnavailable:
                return None  # words alone still answer
            for text, vector in zip(missing, vectors, strict=True):
                self._vectors.put((label, text), vector)
        return [
            [
                self._vectors.get((label, u.text)) if pick else None
                for u, pick in zip(p.units, picks, strict=True)
            ]
            for p, picks in zip(parsed, chosen, strict=True)
        ]


def _shortlist(parsed: list[_Parsed], wanted: set[str]) -> list[list[bool]]:
    """Which units to embed: the ``_MEANING_UNITS`` sharing the most question words.

    Ranked by shared content words (rarer first is BM25's job; here a count suffices), then
    retrieval order, so with no word shared (a paraphrase) the top passages' units are taken.
    Embedding every unit of five passages cold costs about 50 short texts per question; a
    shortlist of about one passage's sentences bounds that.
    """
    ranked = sorted(
        (
            (-len(wanted & counts.keys()), passage, position)
            for passage, p in enumerate(parsed)
            for position, counts in enumerate(p.terms)
        )
    )
    keep = {(passage, position) for _, passage, position in ranked[:_MEANING_UNITS]}
    return [
        [(passage, position) in keep for position in range(len(p.terms))]
        for passage, p in enumerate(parsed)
    ]


async def _embed(embedder: Embedder, texts: list[str]) -> np.ndarray:
    matrix = np.asarray(await embedder.embed_documents(texts), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


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


def _answer(
    question: str,
    passages: list[Passage],
    parsed: list[_Parsed],
    meaning: list[list[np.ndarray | None]] | None,
    question_vector: np.ndarray | None,
    most: int,
) -> str:
    wanted = set(terms(question))
    scored = _score(wanted, parsed, meaning, question_vector)
    best_cosine = max((s.cosine for s in scored if not math.isnan(s.cosine)), default=0.0)
    if not scored or (not any(s.covered for s in scored) and best_cosine < _RELATED):
        return _nothing_relevant(passages[0], parsed[0])
    singles = [s for s in scored if len(s.span.focus) == 1]
    best = max(singles or scored, key=_order)
    best = _widened(best, scored)
    chosen = [best]
    covered = set(best.covered)
    for other in sorted(scored, key=_order, reverse=True):
        if len(chosen) >= most or other.score < _SECOND_SPAN * best.score:
            break
        overlaps = any(
            other.passage == c.passage and set(other.span.parts) & set(c.span.parts) for c in chosen
        )
        if not overlaps and other.covered - covered:
            chosen.append(other)
            covered |= other.covered
    chosen.sort(key=lambda s: (s.passage, s.span.parts[0]))
    return " ".join(_quote(passages[s.passage], parsed[s.passage], s.span) for s in chosen)


def _order(s: _Scored) -> tuple[float, int, int]:
    # Near-ties go to the passage retrieval ranked higher, then to the earlier span.
    return (round(s.score, 9), -s.passage, -s.span.parts[0])


def _score(
    wanted: set[str],
    parsed: list[_Parsed],
    meaning: list[list[np.ndarray | None]] | None,
    question: np.ndarray | None,
) -> list[_Scored]:
    all_units = [c for p in parsed for c in p.terms]
    if not all_units:
        return []
    df: Counter[str] = Counter()
    for unit_terms in all_units:
        df.update(t for t in unit_terms if t in wanted)
    total = len(all_units)
    idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in df.items()}
    average = sum(sum(c.values()) for c in all_units) / total or 1.0
    scored: list[_Scored] = []
    for index, passage in enumerate(parsed):
        vectors = meaning[index] if meaning is not None else None
        for span in passage.spans:
            counts: Counter[str] = Counter()
            for part in span.parts:
                counts.update(passage.terms[part])
            length = sum(counts.values())
            norm_tf = _K1 * (1 - _B + _B * length / average)
            words = sum(
                idf[t] * counts[t] * (_K1 + 1) / (counts[t] + norm_tf)
                for t in wanted
                if counts[t] and t in idf
            )
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
    return scored


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


def _quote(passage: Passage, parsed: _Parsed, span: Candidate) -> str:
    parts = [parsed.units[i] for i in span.parts]
    text = " ".join(u.text for u in parts)
    if any(u.kind == "code" for u in parts) and len(parts) > 1:
        lead = " ".join(u.text for u in parts if u.kind != "code")
        code = " ".join(f"`{u.text}`" for u in parts if u.kind == "code")
        text = f"{lead} {code}"
    return f"{text} [{passage.n}]"


def _nothing_relevant(passage: Passage, parsed: _Parsed) -> str:
    sentences = [u.text for u in parsed.units if u.kind == "sentence"] or [
        u.text for u in parsed.units
    ]
    opening = next((s for s in sentences if len(terms(s)) >= 4), sentences[0] if sentences else "")
    return (
        "The passages found do not answer this directly. "
        f"The closest one says: {opening} [{passage.n}]"
    )
