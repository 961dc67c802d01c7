"""PDF text extraction with pypdf, bounded in pages, decompressed bytes and time.

pypdf gives a page as its printed lines; :func:`paragraphs` joins the lines of each paragraph
(a typeset line ends a paragraph when it is clearly shorter than the page's full lines, and a
bullet or number starts a new one), so sentences are not cut at the margin.
"""

from __future__ import annotations

import io
import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import pypdf
from pypdf.errors import LimitReachedError, PyPdfError

from ragmono.errors import InvalidInput, PayloadTooLarge

from ._parsed import ParsedFile, ParseLimits, tidy
from .blocks import join_words

_T = TypeVar("_T")
PAGE_BREAK = "\f"
"""Separates pages in the extracted text; chunking turns it into each chunk's ``page``."""
_ITEM_START = re.compile(r"^(?:[\u2022\u25cf\u25e6\u25aa\u2013*-]|\d{1,3}[.)]|[a-z][.)])\s")
# A line at most this share of the page's full line width ends its paragraph (or is a title).
_SHORT_LINE = 0.7


def paragraphs(page_text: str) -> str:
    """The page's lines joined into paragraphs, one per line, separated by blank lines."""
    # NFKC: typeset ligatures ("\ufb01les") become plain letters that words match.
    lines = [line.strip() for line in unicodedata.normalize("NFKC", page_text).split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    full = lengths[int(0.8 * (len(lengths) - 1))]  # a typical full line, not the longest
    blocks: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                blocks.append(current)
            current = ""
            continue
        if current and _ITEM_START.match(line):
            blocks.append(current)
            current = ""
        current = join_words(current, line) if current else line
        if len(line) < _SHORT_LINE * full:
            blocks.append(current)
            current = ""
    if current:
        blocks.append(current)
    return "\n\n".join(blocks)


def _limits(limits: ParseLimits) -> dict[str, int]:
    cap = limits.max_decoded_bytes
    return {
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
        "jbig2_maximum_output_length": cap,
        "brotli_maximum_output_length": cap,
        "array_based_stream_maximum_output_length": cap,
        "maximum_declared_stream_length": cap,
        "image_maximum_buffer_size": cap,
        "stream_decoding_work_maximum_length": cap,
    }


def parse_pdf(
    name: str, data: bytes, limits: ParseLimits, deadline: float, field: str
) -> ParsedFile:
    """Text of every page, pages separated by form feeds; the title from the PDF metadata."""
    return _bounded(name, limits, field, lambda: _extract(name, data, limits, deadline, field))


def screen_pdf(name: str, data: bytes, limits: ParseLimits, field: str) -> None:
    """Readable, not encrypted and within the page limit (no page is decoded)."""
    _bounded(name, limits, field, lambda: _open(name, data, limits, field))


def _bounded(name: str, limits: ParseLimits, field: str, work: Callable[[], _T]) -> _T:
    """``work()`` under pypdf's limits, its failures turned into 4xx errors naming the file."""
    # pypdf keeps its limits in a context variable: set here, they hold for this thread only.
    with pypdf.apply_configuration(None, **_limits(limits)):
        try:
            return work()
        except LimitReachedError as exc:
            raise PayloadTooLarge(
                f"{name}: PDF content decompresses past the limit of "
                f"{limits.max_decoded_bytes} bytes ({exc})",
                field=field,
            ) from None
        except (InvalidInput, PayloadTooLarge):
            raise
        except (PyPdfError, Exception) as exc:  # malformed PDFs raise anything from pypdf
            raise InvalidInput(f"{name}: not a readable PDF ({exc})", field=field) from None


def _open(name: str, data: bytes, limits: ParseLimits, field: str) -> pypdf.PdfReader:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise InvalidInput(f"{name}: the PDF is encrypted", field=field)
    pages = len(reader.pages)
    if pages > limits.max_pdf_pages:
        raise InvalidInput(
            f"{name}: {pages} pages is over the limit of {limits.max_pdf_pages}", field=field
        )
    return reader


def _extract(
    name: str, data: bytes, limits: ParseLimits, deadline: float, field: str
) -> ParsedFile:
    reader = _open(name, data, limits, field)
    pages = len(reader.pages)
    texts: list[str] = []
    extracted = 0
    for number, page in enumerate(reader.pages, start=1):
        if time.monotonic() > deadline:
            raise InvalidInput(
                f"{name}: text extraction took longer than {limits.timeout_s:g}s "
                f"(stopped at page {number} of {pages})",
                field=field,
            )
        contents = page.get_contents()
        if contents is not None:
            # Decode first: extract_text() swallows the decompression-limit error and
            # returns "", which would hide a bomb behind a "no text" answer.
            contents.get_data()
        text = paragraphs(tidy(page.extract_text() or "").replace(PAGE_BREAK, " "))
        extracted += len(text)
        if extracted > limits.max_decoded_bytes:
            raise PayloadTooLarge(
                f"{name}: extracted text is over {limits.max_decoded_bytes} characters",
                field=field,
            )
        texts.append(text)
    meta = reader.metadata
    title = (meta.title or "").strip() if meta is not None else ""
    metadata: dict[str, Any] = {"pages": pages}
    if title:
        metadata["title"] = title
    return ParsedFile(text=PAGE_BREAK.join(texts), markdown=False, metadata=metadata)
