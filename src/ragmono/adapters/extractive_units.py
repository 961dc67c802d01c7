"""Passages to answer candidates: whole sentences, list items, code lines, table rows.

Ingest stores each paragraph on one line (``modules/ingest/blocks.py``), so a passage's lines
are its blocks: ``#`` headings, list items, table rows, fenced code, and paragraphs, which
sentencex (a maintained rule-based segmenter, chosen by measurement: see
``benchmarks/README.md``) splits into sentences. A unit is the smallest thing an answer may
quote; a candidate adds the context a reader needs: a list item its lead-in sentence, a code
line the sentence that introduces it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import sentencex
import snowballstemmer

__all__ = ["Candidate", "Parsed", "Unit", "candidates", "sentences", "terms", "units"]

UnitKind = Literal["sentence", "item", "code", "row"]
_ITEM = re.compile(r"^\s*(?:[-*+\u2022\u25cf\u25e6\u25aa]|\d{1,3}[.)])\s+\S")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ROW = re.compile(r"^\s*\|.*\||\S.* \| \S")
_DELIMITER_ROW = re.compile(r"^[\s|:-]+$")
# An indented block (a tab or four spaces) is code in Markdown, and ingest keeps plain text's
# indented commands that way too; joined paragraphs never start indented.
_INDENTED_CODE = re.compile(r"^(?:\t| {4})\s*\S")
_WORD = re.compile(r"[a-z0-9]+(?:['_.-][a-z0-9]+)*")
_STOP_WORDS = """a about above after again against all am an and any are as at be because been
before
being below between both but by can could did do does doing down during each few for
from further get gets got had has have having he her here hers herself him himself his
how i if in into is it its itself just let me mine more most my myself no nor not now of
off on once only or other our ours ourselves out over own please same she should so some
such than that the their theirs them themselves then there these they this those through
to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves much many tell know need want also there's
what's it's i'm"""
_STOP = frozenset(_STOP_WORDS.split())
_stemmer = snowballstemmer.stemmer("english")


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stop words dropped), in order."""
    words = [w.strip("'.-_") for w in _WORD.findall(text.lower())]
    stems: list[str] = _stemmer.stemWords([w for w in words if w and w not in _STOP])
    return stems


@dataclass(frozen=True, slots=True)
class Unit:
    """One quotable piece of a passage, in reading order."""

    text: str
    kind: UnitKind
    block: int
    """Index of the block (line) it comes from: sentences of one paragraph share it."""


@dataclass(slots=True)
class Candidate:
    """Units that make one answer span (adjacent, from one passage)."""

    parts: list[int]
    """Indexes into the passage's units, in order."""
    focus: list[int] = field(default_factory=list)
    """The units whose words carry the answer (a lead-in gives context, not the fact)."""


def sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, whitespace-trimmed.

    A piece that starts in lower case or with "/" continues the sentence before it (the
    segmenter took the dot of "./configure" or of "`./test`" for a full stop): a sentence of
    prose never starts that way, and a cut sentence is worse than a long one.
    """
    found: list[str] = []
    for piece in (s.strip() for s in sentencex.segment("en", paragraph)):
        if not piece:
            continue
        lone_dot = found and (piece[0] == "/" or found[-1].endswith((" .", " `.")))
        if found and (lone_dot or piece[0].islower()):
            found[-1] = f"{found[-1]}{'' if lone_dot else ' '}{piece}"
            continue
        found.append(piece)
    return found


def units(text: str) -> list[Unit]:
    """The passage's quotable units (headings and fence markers are not quotable)."""
    found: list[Unit] = []
    in_code = False
    for block, line in enumerate(text.split("\n")):
        stripped = line.strip()
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if not stripped:
            continue
        if in_code or _INDENTED_CODE.match(line):
            found.append(Unit(stripped, "code", block))
        elif stripped.startswith("#"):
            continue
        elif _ITEM.match(line):
            found.append(Unit(stripped, "item", block))
        elif _ROW.match(line):
            if not _DELIMITER_ROW.match(stripped):
                found.append(Unit(stripped.strip("| "), "row", block))
        else:
            found.extend(Unit(s, "sentence", block) for s in sentences(stripped))
    return found


def candidates(found: list[Unit], most_sentences: int = 3) -> list[Candidate]:
    """Every answer span of a passage.

    Sentences: 1 to ``most_sentences`` adjacent ones of one paragraph. A list item: with the
    sentence just before its list (its lead-in) when there is one. A code line: with the
    sentence just before its code block. A table row: alone. A lead-in ending in ":" is not
    an answer alone: it announces what follows, so it only comes with its item or code line.
    """
    spans: list[Candidate] = []
    for i, unit in enumerate(found):
        if unit.kind == "sentence":
            for size in range(1, most_sentences + 1):
                end = i + size
                if end > len(found) or any(
                    u.kind != "sentence" or u.block != unit.block for u in found[i:end]
                ):
                    break
                if _announces(found, end - 1):
                    continue
                spans.append(Candidate(parts=list(range(i, end)), focus=list(range(i, end))))
        elif unit.kind in ("item", "code"):
            lead = _lead_in(found, i, unit.kind)
            parts = [lead, i] if lead is not None else [i]
            spans.append(Candidate(parts=parts, focus=[i]))
        else:
            spans.append(Candidate(parts=[i], focus=[i]))
    return spans


def _announces(found: list[Unit], index: int) -> bool:
    """Whether the sentence at ``index`` ends in ":" right before a list or code block."""
    following = found[index + 1] if index + 1 < len(found) else None
    return (
        found[index].text.endswith(":")
        and following is not None
        and following.kind in ("item", "code")
    )


def _lead_in(found: list[Unit], index: int, kind: UnitKind) -> int | None:
    """The sentence right before the run of ``kind`` units holding ``index``."""
    j = index - 1
    while j >= 0 and found[j].kind == kind:
        j -= 1
    return j if j >= 0 and found[j].kind == "sentence" else None


@dataclass(frozen=True, slots=True)
class Parsed:
    """A passage ready for scoring: its units, answer spans and each unit's stemmed words."""

    units: list[Unit]
    spans: list[Candidate]
    terms: list[Counter[str]]
