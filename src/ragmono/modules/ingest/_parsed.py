"""Types and helpers shared by the parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_SPACES = re.compile(r"[ \t\u00a0]+")


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Bounds on the work one file may cause."""

    max_pdf_pages: int = 2000
    max_decoded_bytes: int = 64 * 1024 * 1024
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Extracted text and what was learned about the file."""

    text: str
    markdown: bool
    metadata: dict[str, Any] = field(default_factory=dict)


def tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines that extraction leaves behind."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
