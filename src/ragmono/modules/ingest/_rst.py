"""reStructuredText to Markdown-flavoured blocks with docutils.

Section titles become ``#`` headings (so chunks record the section path), paragraphs one line
each, list items ``- `` lines, literal blocks fenced code, table rows ``a | b``. Directives
that read files or emit raw markup are disabled: an uploaded document must not pull in the
server's files. Markup docutils does not know (Sphinx roles and directives) is kept as text
rather than refused, because real documentation is full of it.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.core import publish_doctree
from docutils.utils import SystemMessage

from ragmono.errors import InvalidInput

from ._parsed import ParsedFile, tidy

__all__ = ["parse_rst"]

_SETTINGS: dict[str, Any] = {
    "file_insertion_enabled": False,
    "doctitle_xform": False,  # the title stays a section: one heading scheme for all levels
    "raw_enabled": False,
    "report_level": 5,  # quiet: no messages on stderr
    "halt_level": 5,  # never raise for markup problems
    "warning_stream": False,
    "input_encoding": "unicode",
    "line_length_limit": 100_000,
}
_SKIPPED = (nodes.comment, nodes.system_message, nodes.substitution_definition, nodes.target)


def parse_rst(name: str, text: str, field: str) -> ParsedFile:
    """The document's blocks; its title is the first section title."""
    try:
        tree = publish_doctree(text, settings_overrides=_SETTINGS)
    except (SystemMessage, ValueError, AssertionError) as exc:  # docutils' hard failures
        raise InvalidInput(f"{name}: not readable reStructuredText ({exc})", field=field) from None
    lines: list[str] = []
    title = str(tree.get("title", "") or "")
    _walk(tree, 1, lines)
    if not title:
        title = next((line.lstrip("# ") for line in lines if line.startswith("# ")), "")
    text = tidy("\n\n".join(lines))
    return ParsedFile(text=text, markdown=True, metadata={"title": title} if title else {})


def _flat(node: nodes.Node) -> str:
    return " ".join(node.astext().split())


def _walk(node: nodes.Node, level: int, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, _SKIPPED):
            continue
        if isinstance(child, nodes.section):
            titles = [c for c in child.children if isinstance(c, nodes.title)]
            if titles:
                out.append(f"{'#' * min(level, 6)} {_flat(titles[0])}")
            _walk(child, level + 1, out)
        elif isinstance(child, nodes.title | nodes.subtitle):
            if not isinstance(node, nodes.section):
                out.append(_flat(child))
        elif isinstance(child, nodes.literal_block | nodes.doctest_block):
            out.append("```\n" + child.astext().strip("\n") + "\n```")
        elif isinstance(child, nodes.list_item):
            texts = [_flat(c) for c in child.children if not isinstance(c, _SKIPPED)]
            out.append("- " + " ".join(t for t in texts if t))
        elif isinstance(child, nodes.definition_list_item):
            out.extend(_flat(c) for c in child.children if not isinstance(c, _SKIPPED))
        elif isinstance(child, nodes.row):
            out.append(" | ".join(_flat(entry) for entry in child.children))
        elif isinstance(child, nodes.field):
            name, *body = child.children
            out.append(f"{_flat(name)}: " + " ".join(_flat(b) for b in body))
        elif isinstance(child, nodes.paragraph | nodes.line_block | nodes.rubric):
            flat = _flat(child)
            if flat:
                out.append(flat)
        elif isinstance(child, nodes.Element):
            _walk(child, level, out)
        elif isinstance(child, nodes.Text) and child.astext().strip():
            out.append(_flat(child))
