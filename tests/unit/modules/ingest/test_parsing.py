"""Parsers extract text with titles and headings, and refuse hostile files with a clear 4xx."""

from __future__ import annotations

import io
import zipfile

import pytest

from ragmono.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from ragmono.modules.ingest import ParseLimits
from ragmono.modules.ingest.parsing import parse_file
from tests.support.documents import make_docx, make_pdf, make_pdf_bomb

LIMITS = ParseLimits()


def test_text_keeps_content_and_drops_a_bom() -> None:
    parsed = parse_file("notes.txt", "\ufeffPlain words, ünïcode.".encode(), LIMITS)
    assert parsed.text == "Plain words, ünïcode."
    assert parsed.markdown is False
    assert parsed.metadata == {"format": "text"}


def test_markdown_title_is_its_first_h1() -> None:
    parsed = parse_file("g.md", b"Intro line\n\n# The Guide\n\n## Setup\n\nRun it.", LIMITS)
    assert parsed.markdown is True
    assert parsed.metadata["title"] == "The Guide"


def test_html_headings_become_markdown_and_scripts_vanish() -> None:
    html = (
        b"<html><head><title>Manual</title><style>p{}</style></head><body>"
        b"<h1>Start <b>here</b></h1><p>First para.</p><div>Div<p>inner</p></div>"
        b"<script>alert('x')</script><h2>Next</h2><ul><li>a</li><li>b</li></ul></body></html>"
    )
    parsed = parse_file("m.html", html, LIMITS)
    assert parsed.metadata["title"] == "Manual"
    assert "# Start here" in parsed.text
    assert "## Next" in parsed.text
    assert "alert" not in parsed.text
    assert "Div\ninner" in parsed.text


def test_docx_title_headings_and_tables() -> None:
    data = make_docx("Field Guide", [("Birds", "Robins sing."), ("Trees", "Oaks grow.")])
    parsed = parse_file("guide.docx", data, LIMITS)
    assert parsed.metadata["title"] == "Field Guide"
    assert "# Birds\n\nRobins sing." in parsed.text
    assert "cell one | cell two" in parsed.text


def test_pdf_pages_are_separated_and_titled() -> None:
    data = make_pdf(["Page one text.", "Page two text."], title="Report")
    parsed = parse_file("r.pdf", data, LIMITS)
    assert parsed.text.split("\f") == ["Page one text.", "Page two text."]
    assert parsed.metadata == {"format": "pdf", "pages": 2, "title": "Report"}


@pytest.mark.parametrize(
    ("name", "data", "error", "words"),
    [
        ("x.txt", b"MZ\x90\x00\x03\x00\x00\x00", InvalidInput, "NUL"),
        ("x.txt", b"caf\xe9 au lait", InvalidInput, "UTF-8"),
        ("x.txt", bytes(range(1, 32)) * 40, InvalidInput, "control"),
        ("x.md", b"   \n\t\n", InvalidInput, "no text"),
        ("x.exe", b"MZ", UnsupportedMediaType, "unsupported"),
        ("noext", b"hello", UnsupportedMediaType, "unsupported"),
        ("x.pdf", b"%PDF-1.4 this is not a pdf", InvalidInput, "PDF"),
        ("x.docx", b"PK not a zip", InvalidInput, "zip"),
    ],
)
def test_hostile_files_are_refused(
    name: str, data: bytes, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words) as caught:
        parse_file(name, data, LIMITS, field="body.files[0]")
    assert getattr(caught.value, "field", None) == "body.files[0]"


def test_pdf_bomb_is_413_at_the_decoded_limit() -> None:
    bomb = make_pdf_bomb(4 * 1024 * 1024)
    assert len(bomb) < 10_000
    with pytest.raises(PayloadTooLarge, match="decompresses past"):
        parse_file("bomb.pdf", bomb, ParseLimits(max_decoded_bytes=1024 * 1024))


def test_pdf_page_and_time_limits() -> None:
    data = make_pdf(["one", "two", "three"])
    with pytest.raises(InvalidInput, match="3 pages is over the limit of 2"):
        parse_file("p.pdf", data, ParseLimits(max_pdf_pages=2))
    with pytest.raises(InvalidInput, match="took longer than"):
        parse_file("p.pdf", data, ParseLimits(timeout_s=1e-9))


def test_docx_whose_parts_inflate_past_the_limit_is_413() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b" " * (3 * 1024 * 1024))
    with pytest.raises(PayloadTooLarge, match="inflates"):
        parse_file("z.docx", out.getvalue(), ParseLimits(max_decoded_bytes=1024 * 1024))
