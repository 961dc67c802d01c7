"""Token-sized chunks with overlap that break at headings, paragraphs and sentences.

``semantic-text-splitter`` does the splitting, counting tokens with the embedder's word-piece
tokenizer. Markdown text (and parsed HTML/DOCX, whose headings are ``#`` lines) splits at
section boundaries first; each chunk records the heading path it falls under and, for PDFs,
its page (pages are separated by form feeds).
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from semantic_text_splitter import MarkdownSplitter, TextSplitter

from ragmono.domain import ChunkingConfig

__all__ = ["ChunkPiece", "Chunker", "normalize_text"]

PAGE_BREAK = "\f"
_MD = MarkdownIt("commonmark")


class ChunkPiece(NamedTuple):
    """One chunk's text and where it sits in its document."""

    text: str
    section: str
    page: int | None


def normalize_text(text: str) -> str:
    """NFC, ``\\n`` line ends, no trailing spaces or outer blank lines: what gets hashed."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


class Chunker:
    """Splits normalized text into :class:`ChunkPiece` lists.

    ``load_tokenizer`` returns a ``tokenizers.Tokenizer`` (truncation off); it is called once,
    on first use, so building services stays free of file I/O.
    """

    def __init__(self, load_tokenizer: Callable[[], Any]) -> None:
        self._load_tokenizer = load_tokenizer
        self._tokenizer: Any = None
        self._splitters: dict[tuple[int, int, bool], Any] = {}
        self._lock = threading.Lock()  # split() runs on worker threads for big documents

    def _splitter(self, chunking: ChunkingConfig, markdown: bool) -> Any:
        key = (chunking.chunk_size, chunking.chunk_overlap, markdown)
        with self._lock:
            splitter = self._splitters.get(key)
            if splitter is None:
                if self._tokenizer is None:
                    self._tokenizer = self._load_tokenizer()
                kind = MarkdownSplitter if markdown else TextSplitter
                splitter = kind.from_huggingface_tokenizer(
                    self._tokenizer, chunking.chunk_size, overlap=chunking.chunk_overlap, trim=True
                )
                self._splitters[key] = splitter
            return splitter

    def split(
        self, text: str, chunking: ChunkingConfig, *, markdown: bool, paged: bool = False
    ) -> list[ChunkPiece]:
        """Chunks of at most ``chunk_size`` tokens overlapping by ``chunk_overlap``, in order.

        Pages (``paged``, or form feeds in the text) give each chunk its 1-based ``page``.
        """
        spans = [
            (offset, chunk)
            for offset, chunk in self._splitter(chunking, markdown).chunk_indices(text)
            if chunk.strip()
        ]
        if markdown:
            spans = _merge_bare_headings(spans)
        sections = _Sections(text) if markdown else None
        breaks = [m.start() for m in re.finditer(PAGE_BREAK, text)]
        return [
            ChunkPiece(
                text=chunk.replace(PAGE_BREAK, "\n"),
                section=sections.at(offset + _content_start(chunk)) if sections else "",
                page=bisect.bisect_right(breaks, offset) + 1 if paged or breaks else None,
            )
            for offset, chunk in spans
        ]


def _merge_bare_headings(spans: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """A chunk that is only headings carries no content: glue it to the chunk after it."""
    merged: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for offset, chunk in spans:
        if pending is not None:
            offset, chunk = pending[0], f"{pending[1]}\n\n{chunk}"
            pending = None
        if all(line.lstrip().startswith("#") for line in chunk.splitlines() if line.strip()):
            pending = (offset, chunk)
            continue
        merged.append((offset, chunk))
    if pending is not None:
        merged.append(pending)
    return merged


def _content_start(chunk: str) -> int:
    """Offset of the chunk's first line that is not a heading (its content's section)."""
    position = 0
    for line in chunk.splitlines(keepends=True):
        if line.strip() and not line.lstrip().startswith("#"):
            return position
        position += len(line)
    return 0


class _Sections:
    """Heading path (``Guide > Install``) in force at each character offset."""

    def __init__(self, text: str) -> None:
        line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._offsets: list[int] = []
        self._paths: list[str] = []
        stack: list[tuple[int, str]] = []
        tokens = _MD.parse(text)
        for i, tok in enumerate(tokens):
            if tok.type != "heading_open" or tok.map is None or i + 1 >= len(tokens):
                continue
            level = int(tok.tag[1])
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, tokens[i + 1].content.strip()))
            self._offsets.append(line_starts[tok.map[0]])
            self._paths.append(" > ".join(title for _, title in stack))

    def at(self, offset: int) -> str:
        """The path of the last heading that starts at or before ``offset``."""
        index = bisect.bisect_right(self._offsets, offset) - 1
        return self._paths[index] if index >= 0 else ""
