"""Files to text: .txt, .md, .rst, .html, .pdf and .docx, with titles and headings kept.

Parsers return Markdown-flavoured text when the format has headings (reStructuredText, HTML
and DOCX headings become ``#`` lines), so chunking can follow sections. Each paragraph comes
out as one line whatever the source's wrapping (``blocks.reflow`` for Markdown and text, the
parser's own tree for the others), with headings, list items, table rows and code kept apart.

Every parser is bounded: undecodable or binary text, PDFs with too many pages, streams that
decompress past ``max_decoded_bytes`` (zip bombs) and files that take longer than
``timeout_s`` are refused with a 4xx error.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import PurePath
from typing import Any

from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser

from ragmono.domain.formats import SUPPORTED_EXTENSIONS
from ragmono.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

from ._parsed import ParsedFile, ParseLimits, tidy
from ._pdf import parse_pdf, screen_pdf
from ._rst import parse_rst
from .blocks import reflow, reflow_text

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ParseLimits",
    "ParsedFile",
    "parse_file",
    "screen_file",
    "supported",
]

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f]")
_HTML_BLOCKS = "p,div,li,br,tr,dt,dd,blockquote,section,article,header,footer,figcaption,table"
_BLOCK, _LINE = "\u2029", "\u2028"
_HTML_SPACE = re.compile(r"[ \t\r\n\f\v]+")
_ITEM_GAP = re.compile("- [ \u2029]+")
_MD = MarkdownIt("commonmark")


def supported(name: str) -> bool:
    """Whether the file name's extension is one ingest can read."""
    return PurePath(name).suffix.lower() in SUPPORTED_EXTENSIONS


def parse_file(name: str, data: bytes, limits: ParseLimits, *, field: str = "file") -> ParsedFile:
    """Extract the text of ``data``, typed by ``name``'s extension.

    Raises ``UnsupportedMediaType`` (415) for an unknown type, ``PayloadTooLarge`` (413) for
    decoded content over the limit, ``InvalidInput`` (422) for unreadable or empty content.
    """
    kind = _kind(name, field)
    deadline = time.monotonic() + limits.timeout_s
    if kind == "text":
        parsed = ParsedFile(text=reflow_text(_decode_text(name, data, field)), markdown=False)
    elif kind == "markdown":
        text = reflow(_decode_text(name, data, field))
        parsed = ParsedFile(text=text, markdown=True, metadata=_md_title(text))
    elif kind == "rst":
        parsed = parse_rst(name, _decode_text(name, data, field), field)
    elif kind == "html":
        parsed = _parse_html(_decode_text(name, data, field))
    elif kind == "pdf":
        parsed = parse_pdf(name, data, limits, deadline, field)
    else:
        parsed = _parse_docx(name, data, limits, field)
    if not parsed.text.strip():
        raise InvalidInput(f"{name}: no text could be extracted", field=field)
    if len(parsed.text) > limits.max_decoded_bytes:
        raise PayloadTooLarge(
            f"{name}: extracted text is over {limits.max_decoded_bytes} characters", field=field
        )
    return ParsedFile(
        text=parsed.text, markdown=parsed.markdown, metadata={"format": kind, **parsed.metadata}
    )


def screen_file(name: str, data: bytes, limits: ParseLimits, *, field: str = "file") -> None:
    """The checks that need no text extraction: type, size, decoded size and page count.

    Run before an upload becomes a job, so a file that would be refused gets its 4xx at once;
    raises what :func:`parse_file` would for the same reason.
    """
    kind = _kind(name, field)
    if kind == "pdf":
        screen_pdf(name, data, limits, field)
    elif kind == "docx":
        _check_zip(name, data, limits, field)
    else:
        if len(data) > limits.max_decoded_bytes:
            raise PayloadTooLarge(
                f"{name}: {len(data)} bytes of text is over the limit of "
                f"{limits.max_decoded_bytes}",
                field=field,
            )
        if not _decode_text(name, data, field).strip():
            raise InvalidInput(f"{name}: no text could be extracted", field=field)


def _kind(name: str, field: str) -> str:
    kind = SUPPORTED_EXTENSIONS.get(PurePath(name).suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise UnsupportedMediaType(f"{name}: unsupported file type (use {known})", field=field)
    return kind


def _decode_text(name: str, data: bytes, field: str) -> str:
    if b"\x00" in data:
        raise InvalidInput(f"{name}: binary content (NUL bytes), not text", field=field)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: not valid UTF-8 text (bad byte at offset {exc.start})", field=field
        ) from None
    # Text files carry few control characters; many of them mean a binary file renamed.
    if text and len(_CONTROL.findall(text[:65536])) > max(8, len(text[:65536]) // 100):
        raise InvalidInput(f"{name}: binary content (control characters), not text", field=field)
    return text


def _md_title(text: str) -> dict[str, Any]:
    tokens = _MD.parse(text)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1" and i + 1 < len(tokens):
            return {"title": tokens[i + 1].content.strip()}
    return {}


def _parse_html(html: str) -> ParsedFile:
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node is not None else ""
    for node in tree.css("script,style,noscript,template,svg,head"):
        node.decompose()
    root = tree.body or tree.root
    if root is None:
        return ParsedFile(text="", markdown=True)
    # Source line breaks inside a paragraph are only wrapping: all white space collapses
    # below, and block boundaries (marked with U+2029) and <pre> line ends (U+2028) are what
    # become line breaks. Headings become "#" lines, list items "- " lines, rows "a | b".
    for node in root.css("pre"):
        code = node.text(deep=True, separator="").strip("\n").replace("\n", _LINE)
        node.replace_with(f"{_BLOCK}```{_LINE}{code}{_LINE}```{_BLOCK}")
    for node in root.css("h1,h2,h3,h4,h5,h6"):
        heading = node.text(deep=True, separator=" ", strip=True)
        if not title and node.tag == "h1":
            title = heading
        level = int((node.tag or "h1")[1])
        node.replace_with(f"{_BLOCK}{_BLOCK}{'#' * level} {heading}{_BLOCK}{_BLOCK}")
    for node in root.css("td,th"):
        node.insert_after(" | ")
    for node in root.css("li"):
        node.insert_before(f"{_BLOCK}- ")
    for node in root.css(_HTML_BLOCKS):
        node.insert_before(_BLOCK)
        node.insert_after(_BLOCK)
    text = _HTML_SPACE.sub(" ", root.text(deep=True, separator=""))
    text = _ITEM_GAP.sub("- ", text).replace(_BLOCK, "\n").replace(_LINE, "\n")
    text = tidy("\n".join(line.rstrip(" |") for line in text.split("\n")))
    return ParsedFile(text=text, markdown=True, metadata={"title": title} if title else {})


def _parse_docx(name: str, data: bytes, limits: ParseLimits, field: str) -> ParsedFile:
    import docx
    from docx.table import Table

    _check_zip(name, data, limits, field)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for a damaged archive
        raise InvalidInput(f"{name}: not a readable .docx file ({exc})", field=field) from None
    title = (document.core_properties.title or "").strip()
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                lines.append(" | ".join(cell.text.strip() for cell in row.cells))
            continue
        text = block.text.strip()
        style = (block.style.name if block.style is not None else "") or ""
        if not text:
            continue
        if style == "Title":
            title = title or text
            lines.append(f"# {text}")
        elif style.startswith("Heading") and style[7:].strip().isdigit():
            lines.append(f"{'#' * min(6, int(style[7:]))} {text}")
        else:
            lines.append(text)
    text = tidy("\n\n".join(lines))
    return ParsedFile(text=text, markdown=True, metadata={"title": title} if title else {})


def _check_zip(name: str, data: bytes, limits: ParseLimits, field: str) -> None:
    """Refuse archives whose members would inflate past the limit before opening them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise InvalidInput(f"{name}: not a .docx (zip) file", field=field) from None
    inflated = sum(m.file_size for m in members)
    if len(members) > 10_000 or inflated > limits.max_decoded_bytes:
        raise PayloadTooLarge(
            f"{name}: archive inflates to {inflated} bytes in {len(members)} parts "
            f"(limit {limits.max_decoded_bytes} bytes)",
            field=field,
        )
