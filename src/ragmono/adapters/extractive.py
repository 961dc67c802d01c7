"""The extractive answerer: no LLM, always available, deterministic.

Candidates are whole sentences (1-3 adjacent ones of a paragraph), list items with their
lead-in sentence and code lines with the sentence that introduces them
(``extractive_units``). Each is scored by meaning, the cosine between the question's vector
and the candidate's under the collection's own embedder, and by words, BM25 over the
passages' units with Snowball stems. The units' vectors come with the passage when ingest made
them (``unit_vectors``); otherwise the best units by BM25 are embedded in one batch and cached
by text, so a passage seen again costs nothing. Both scores are min-max scaled over the
question's candidates and weighted equally (no reason to favour one a priori). The answer is
the best single unit, widened to its neighbours only when they hold question words it lacks
(and to the sentence before when it points back), plus at most one more span that holds a
different needed fact; each is quoted whole and cited ``[n]``. When nothing shares a word or
a meaning with the question it says so.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

import numpy as np

from ragmono.domain import DependencyHealth
from ragmono.errors import DependencyUnavailable
from ragmono.ports import AnswerRequest, Embedder

from .extractive_scoring import answer, lexical_ranking
from .extractive_units import Parsed, candidates, terms, units
from .unit_vectors import decode

__all__ = ["NO_PASSAGES_ANSWER", "ExtractiveGenerator", "answer_tokens"]

NO_PASSAGES_ANSWER = "I found no passages to answer this question from."
# Units embedded per question at most: about one passage's sentences (250 word pieces).
_MEANING_UNITS = 12


def answer_tokens(answer: str) -> list[str]:
    """How an answer is streamed: each word with the white space before it."""
    return re.findall(r"\s*\S+", answer)


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
        self._parsed: _Lru[str, Parsed] = _Lru(cache_passages)
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
        return answer(request.question, passages, parsed, meaning, vector, self._most)

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

    def _parse(self, text: str) -> Parsed:
        parsed = self._parsed.get(text)
        if parsed is None:
            found = units(text)
            parsed = Parsed(found, candidates(found), [Counter(terms(u.text)) for u in found])
            self._parsed.put(text, parsed)
        return parsed

    async def _meaning(
        self, request: AnswerRequest, parsed: list[Parsed], wanted: set[str]
    ) -> list[list[np.ndarray | None]] | None:
        """Unit vectors per passage (None for units not embedded), or None at all.

        A passage's vectors from ingest are used whole; for the passages without them,
        meaning re-ranks a shortlist (:func:`_shortlist`), cached by unit text, so a passage
        seen again costs nothing.
        """
        embedder = request.embedder
        if embedder is None or request.question_vector is None:
            return None
        label = embedder.ref.label
        stored = [
            decode(p.unit_vectors, label, [u.text for u in found.units], embedder.ref.dimensions)
            if p.unit_vectors
            else None
            for p, found in zip(request.passages, parsed, strict=True)
        ]
        if all(ready is not None for ready in stored):  # all made at ingest: nothing to embed
            return [list(ready) for ready in stored if ready is not None]
        chosen = _shortlist(
            parsed, wanted, {i for i, ready in enumerate(stored) if ready is not None}
        )
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
            list(ready)
            if ready is not None
            else [
                self._vectors.get((label, u.text)) if pick else None
                for u, pick in zip(p.units, picks, strict=True)
            ]
            for p, picks, ready in zip(parsed, chosen, stored, strict=True)
        ]


def _shortlist(parsed: list[Parsed], wanted: set[str], have: set[int]) -> list[list[bool]]:
    """Which units to embed: the ``_MEANING_UNITS`` best by words (BM25), from the passages
    whose vectors ingest did not make (those in ``have`` it did).

    Meaning re-ranks the lexical front runners: embedding costs about 5 ms a sentence on
    this machine's CPU, every unit of five passages about 50 short texts a question, so a
    shortlist bounds it. With no word shared (a paraphrase) BM25 ties and the top passages'
    units are taken in reading order.
    """
    ranked = (unit for unit in lexical_ranking(parsed, wanted) if unit[0] not in have)
    keep = set(itertools.islice(ranked, _MEANING_UNITS))
    return [
        [(passage, position) in keep for position in range(len(p.terms))]
        for passage, p in enumerate(parsed)
    ]


async def _embed(embedder: Embedder, texts: list[str]) -> np.ndarray:
    # Answer scoring is part of a query: it takes the embedder's query lane, not ingest's queue.
    matrix = np.asarray(await embedder.embed_documents(texts, priority=True), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
