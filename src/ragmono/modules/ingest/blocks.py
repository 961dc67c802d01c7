"""Hard-wrapped text to one line per block: paragraphs joined, structure kept.

Manuals, READMEs and mail-style text wrap paragraphs at ~72 columns, so a sentence often
spans two lines. Chunking and the extractive answerer work on blocks and sentences, so each
paragraph (and each list item's paragraph) becomes a single line here, while headings,
list markers, table rows and code blocks stay exactly as written. CommonMark (with GFM tables)
decides what is a paragraph, for Markdown and for plain text alike: in plain text an indented
block is code and ``-``/``1.`` lines are list items, as a reader would take them.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

__all__ = ["join_words", "reflow", "reflow_text"]

_MD = MarkdownIt("commonmark").enable("table")
_QUOTE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]?)*")
_HARD_BREAK = re.compile(r"(?:\\|  )$")
# A word broken at the line end by a hyphen ("configu-" / "ration"), as PDF text has.
_BROKEN_WORD = re.compile(r"[a-z]-$")
# Plain text indents prose (manuals, definition lists); code shows itself by its shape.
_CODE_LINE = re.compile(r"^\s*(?:[$#>] |\.\.?/)|[{};]\s*$|^\s*[\w.]+\(.*\)\s*$")


def reflow_text(text: str) -> str:
    """Plain text as :func:`reflow` reads it, with indented prose not taken for code.

    An indented run of lines is prose unless one of its lines looks like code (a shell
    prompt, a line ending in ``{``, ``}`` or ``;``, a call): prose is dedented first.
    """
    lines = text.split("\n")
    out: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if line.startswith(("    ", "\t")) and line.strip():
            run.append(line)
            continue
        if run:
            code = any(_CODE_LINE.search(r) for r in run)
            out.extend(run if code else [r.strip() for r in run])
            run = []
        out.append(line)
    return reflow("\n".join(out[:-1]))


def reflow(text: str) -> str:
    """``text`` with each paragraph on one line; everything else as it was."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    joins: list[tuple[int, int, bool]] = []
    quote_depth = 0
    for token in _MD.parse(text):
        if token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        elif token.type == "paragraph_open" and token.map and token.map[1] - token.map[0] > 1:
            joins.append((token.map[0], token.map[1], quote_depth > 0))
    if not joins:
        return text
    out: list[str] = []
    position = 0
    for start, end, quoted in joins:
        out.extend(lines[position:start])
        out.append(_joined(lines[start:end], quoted=quoted))
        position = end
    out.extend(lines[position:])
    return "\n".join(out)


def _joined(lines: list[str], *, quoted: bool) -> str:
    """One paragraph's lines as one (the first keeps its indent and list or quote marker)."""
    joined = lines[0].rstrip()
    for line in lines[1:]:
        if _HARD_BREAK.search(joined):
            joined = joined.rstrip("\\ ")
        piece = (_QUOTE_PREFIX.sub("", line) if quoted else line).strip()
        if not piece:
            continue
        joined = f"{joined} {piece}"
    return joined


def join_words(left: str, right: str) -> str:
    """``left`` and ``right`` as one line: a word hyphenated across them is mended.

    For typeset text (PDF), where hyphens at line ends are the typesetter's; hand-wrapped
    text keeps its hyphens (``command-`` / ``line`` is a compound there).
    """
    if _BROKEN_WORD.search(left) and right[:1].islower():
        return left[:-1] + right
    return f"{left} {right}"
