"""Small real documents built in tests: PDF (pypdf), DOCX (python-docx), and a PDF bomb."""

from __future__ import annotations

import io
import zlib

import docx
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """A PDF with one page per string, each line drawn in Helvetica (text extractable)."""
    writer = PdfWriter()
    font = writer._add_object(  # pypdf has no public "add a standard font" helper
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for text in pages:
        page = writer.add_blank_page(width=612, height=792)
        lines = "".join(f"({_escape(line)}) Tj 0 -16 Td " for line in text.split("\n"))
        content = DecodedStreamObject()
        content.set_data(f"BT /F1 12 Tf 72 720 Td {lines}ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(content)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if title:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_pdf_bomb(decoded_bytes: int) -> bytes:
    """A one-page PDF whose content stream is tiny compressed and ``decoded_bytes`` inflated."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    stream = StreamObject()
    stream._data = zlib.compress(b" " * decoded_bytes, 9)
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream[NameObject("/Length")] = NumberObject(len(stream._data))
    page[NameObject("/Contents")] = ArrayObject([writer._add_object(stream)])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(title: str, sections: list[tuple[str, str]]) -> bytes:
    """A DOCX with a Title paragraph, then per section a Heading 1 and a body paragraph."""
    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph(title, style="Title")
    for heading, body in sections:
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "cell one"
    table.rows[0].cells[1].text = "cell two"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
