"""The extractive answerer: no LLM, always available, deterministic.

It reads the query service's prompt (numbered passages, then ``Question: ...``; see
``ragmono.modules.query.prompts``), scores every sentence of every passage by the question
words it contains (weighted by rarity across the passages, stemmed crudely, stop words
ignored), and answers with the best one or two sentences, each cited as ``[n]``. When no
sentence shares a word with the question it says so and quotes the top passage's opening.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Sequence

from ragmono.domain import DependencyHealth
from ragmono.ports import ChatMessage

__all__ = ["NO_PASSAGES_ANSWER", "ExtractiveGenerator"]

NO_PASSAGES_ANSWER = "I found no passages to answer this question from."

_PASSAGE = re.compile(r"^\[(\d+)\] (.*?)(?=\n\n\[\d+\] |\Z)", re.S | re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_SUFFIXES = ("ements", "ement", "ments", "ment", "ings", "ing", "ies", "ied", "es", "ed", "s")
_STOP_WORDS = """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for from
    further get gets got had has have having he her here hers herself him himself his how i if
    in into is it its itself just let me mine more most my myself no nor not now of off on once
    only or other our ours ourselves out over own please same she should so some such than that
    the their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves much many tell know need want also there's what's it's i'm"""
_STOP = frozenset(_STOP_WORDS.split())


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


def parse_prompt(messages: Sequence[ChatMessage]) -> tuple[str, list[tuple[int, str]]]:
    """The question and the numbered passages from the last user message."""
    user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    body, sep, question = user.rpartition("Question:")
    if not sep:
        body, question = "", user
    passages = [(int(n), text.strip()) for n, text in _PASSAGE.findall(body)]
    return question.strip(), passages


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def extract_answer(question: str, passages: Sequence[tuple[int, str]], *, most: int = 2) -> str:
    """The best ``most`` sentences for ``question``, each followed by its ``[n]``."""
    if not passages:
        return NO_PASSAGES_ANSWER
    candidates = [
        (rank, n, position, sentence, set(_terms(sentence)))
        for rank, (n, text) in enumerate(passages)
        for position, sentence in enumerate(_sentences(text))
    ]
    wanted = set(_terms(question))
    df: dict[str, int] = {}
    for *_, terms in candidates:
        for term in terms & wanted:
            df[term] = df.get(term, 0) + 1
    idf = {t: math.log(1 + len(candidates) / df[t]) for t in df}

    def score(rank: int, terms: set[str]) -> float:
        # Fragments such as headings ("Annual leave.") carry no answer: damp short ones.
        # Retrieval already ranked the passages: a small prior breaks near-ties its way.
        weight = sum(idf[t] for t in terms & wanted)
        return weight * min(1.0, len(terms) / 4) * (1 + 0.25 / (1 + rank))

    ranked = sorted(
        ((score(c[0], c[4]), -c[0], -c[2], c) for c in candidates if c[4] & wanted),
        key=lambda item: (item[0], item[1], item[2]),
        reverse=True,
    )
    if not ranked:
        first_n, first_text = passages[0]
        sentences = _sentences(first_text) or [first_text]
        opening = next((x for x in sentences if len(_terms(x)) >= 4), sentences[0])
        return (
            "The passages found do not answer this directly. "
            f"The closest one says: {opening} [{first_n}]"
        )
    best_score, *_, best = ranked[0]
    chosen = [best]
    covered = best[4] & wanted
    for item_score, *_, cand in ranked[1:]:
        if len(chosen) >= most:
            break
        if item_score >= 0.5 * best_score and (cand[4] & wanted) - covered:
            chosen.append(cand)
            covered |= cand[4] & wanted
    return " ".join(f"{c[3]} [{c[1]}]" for c in chosen)


class ExtractiveGenerator:
    """:class:`~ragmono.ports.Generator` that quotes the passages instead of writing."""

    def __init__(self, *, max_sentences: int = 2) -> None:
        self._most = max_sentences

    @property
    def name(self) -> str:
        """Always ``extractive``."""
        return "extractive"

    @property
    def model(self) -> str:
        """No model."""
        return ""

    async def generate(self, messages: Sequence[ChatMessage]) -> str:
        """The whole extractive answer."""
        question, passages = parse_prompt(messages)
        return extract_answer(question, passages, most=self._most)

    async def stream(self, messages: Sequence[ChatMessage]) -> AsyncIterator[str]:
        """The same answer word by word (each word with its trailing space)."""
        answer = await self.generate(messages)
        for token in re.findall(r"\S+\s*", answer):
            yield token

    async def health(self) -> DependencyHealth:
        """Always available."""
        return DependencyHealth(
            name="generator", mode="extractive", reachable=True, latency_ms=0.0, required=False
        )

    async def close(self) -> None:
        """Nothing to release."""
