"""The file types ingest reads, by extension: shared by the parsers and the command line."""

from __future__ import annotations

__all__ = ["SUPPORTED_EXTENSIONS"]

SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
