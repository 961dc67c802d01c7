"""Files to text: .txt, .md, .html, .pdf and .docx, with titles and headings kept.

Parsers return Markdown-flavoured text when the format has headings (HTML and DOCX headings
become ``#`` lines), so chunking can follow sections. Every parser is bounded: undecodable or
binary text, PDFs with too many pages, streams that decompress past ``max_decoded_bytes``
(zip bombs) and files that take longer than ``timeout_s`` are refused with a 4xx error.
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
from ._pdf import parse_pdf

__all__ = ["SUPPORTED_EXTENSIONS", "ParseLimits", "ParsedFile", "parse_file", "supported"]

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f]")
_HTML_BLOCKS = "p,div,li,br,tr,td,th,dt,dd,pre,blockquote,section,article,header,footer,figcaption"
_MD = MarkdownIt("commonmark")


def supported(name: str) -> bool:
    """Whether the file name's extension is one ingest can read."""
    return PurePath(name).suffix.lower() in SUPPORTED_EXTENSIONS


def parse_file(name: str, data: bytes, limits: ParseLimits, *, field: str = "file") -> ParsedFile:
    """Extract the text of ``data``, typed by ``name``'s extension.

    Raises ``UnsupportedMediaType`` (415) for an unknown type, ``PayloadTooLarge`` (413) for
    decoded content over the limit, ``InvalidInput`` (422) for unreadable or empty content.
    """
    kind = SUPPORTED_EXTENSIONS.get(PurePath(name).suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise UnsupportedMediaType(f"{name}: unsupported file type (use {known})", field=field)
    deadline = time.monotonic() + limits.timeout_s
    if kind == "text":
        parsed = ParsedFile(text=_decode_text(name, data, field), markdown=False)
    elif kind == "markdown":
        text = _decode_text(name, data, field)
        parsed = ParsedFile(text=text, markdown=True, metadata=_md_title(text))
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
    for node in root.css("h1,h2,h3,h4,h5,h6"):
        heading = node.text(deep=True, separator=" ", strip=True)
        if not title and node.tag == "h1":
            title = heading
        level = int((node.tag or "h1")[1])
        node.replace_with(f"\n\n{'#' * level} {heading}\n\n")
    for node in root.css(_HTML_BLOCKS):
        node.insert_before("\n")
        node.insert_after("\n")
    text = tidy(root.text(deep=True, separator=""))
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
