"""Hard-wrapped documents come out one paragraph a line, split into whole sentences.

Each format is parsed by the real parser; sentences come from the extractive answerer's
segmenter, so a sentence wrapped across lines in the source is one sentence here.
"""

from __future__ import annotations

from ragmono.adapters.extractive_units import sentences, units
from ragmono.modules.ingest import ParseLimits
from ragmono.modules.ingest.parsing import parse_file
from tests.support.documents import make_pdf

LIMITS = ParseLimits()
WRAPPED = (
    "Options can be set with environment variables using the\n"
    "RAGMONO_ prefix. The default port is 8000, e.g. for local\n"
    "use; set server.port to change it."
)
SENTENCES = [
    "Options can be set with environment variables using the RAGMONO_ prefix.",
    "The default port is 8000, e.g. for local use; set server.port to change it.",
]


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_markdown_paragraphs_join_and_structure_stays() -> None:
    source = (
        f"# Guide\n\n{WRAPPED}\n\n- an item that\n  wraps\n- another\n\n"
        "```\nserve --port 1\nserve --help\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    text = parse_file("guide.md", source.encode(), LIMITS).text
    assert lines(text) == [
        "# Guide",
        " ".join(SENTENCES),
        "- an item that wraps",
        "- another",
        "```",
        "serve --port 1",
        "serve --help",
        "```",
        "| a | b |",
        "|---|---|",
        "| 1 | 2 |",
    ]
    assert sentences(lines(text)[1]) == SENTENCES
    kinds = [(u.kind, u.text) for u in units(text)]
    assert kinds[:2] == [("sentence", SENTENCES[0]), ("sentence", SENTENCES[1])]
    assert ("item", "- an item that wraps") in kinds
    assert ("code", "serve --port 1") in kinds
    assert ("row", "1 | 2") in kinds


def test_restructuredtext_headings_become_the_section_path() -> None:
    source = (
        "Guide\n=====\n\nIntro.\n\nInstall\n-------\n\n"
        f"{WRAPPED}\n\n* first item\n  wrapped\n\n::\n\n    pip install ragmono\n"
    )
    parsed = parse_file("guide.rst", source.encode(), LIMITS)
    assert parsed.markdown is True
    assert parsed.metadata["title"] == "Guide"
    assert lines(parsed.text) == [
        "# Guide",
        "Intro.",
        "## Install",
        " ".join(SENTENCES),
        "- first item wrapped",
        "```",
        "pip install ragmono",
        "```",
    ]


def test_restructuredtext_never_reads_server_files() -> None:
    source = b"Title\n=====\n\n.. include:: /etc/passwd\n\n.. raw:: html\n\n   <b>x</b>\n\nText."
    parsed = parse_file("evil.rst", source, LIMITS)
    assert "root:" not in parsed.text
    assert "<b>" not in parsed.text
    assert parsed.text.endswith("Text.")


def test_pdf_lines_join_into_paragraphs_and_bullets_stay_apart() -> None:
    page = (
        "The command-line options are deliberately very similar to those of\n"
        "GNU gzip, but they are not identical. Each file is replaced by a\n"
        "compressed version of itself, with the name original_name.bz2.\n"
        "Short closing line.\n"
        "- filename.bz2 becomes filename\n"
        "- filename.tbz becomes filename.tar"
    )
    text = parse_file("manual.pdf", make_pdf([page]), LIMITS).text
    assert lines(text) == [
        "The command-line options are deliberately very similar to those of GNU gzip, but "
        "they are not identical. Each file is replaced by a compressed version of itself, "
        "with the name original_name.bz2. Short closing line.",
        "- filename.bz2 becomes filename",
        "- filename.tbz becomes filename.tar",
    ]
    assert sentences(lines(text)[0])[1] == (
        "Each file is replaced by a compressed version of itself, with the name original_name.bz2."
    )


def test_plain_text_indented_prose_joins_but_commands_stay() -> None:
    source = (
        "daemon\n"
        "          Some unprivileged daemons run as daemon.daemon. Daemons that\n"
        "          need no files run as nobody.\n\n"
        "To build:\n\n    $ make\n    $ make install\n"
    )
    text = parse_file("notes.txt", source.encode(), LIMITS).text
    assert lines(text) == [
        "daemon Some unprivileged daemons run as daemon.daemon. Daemons that need no files "
        "run as nobody.",
        "To build:",
        "    $ make",
        "    $ make install",
    ]


def test_html_source_wrapping_is_not_a_line_break() -> None:
    html = (
        "<html><body><h2>Ports</h2><p>Options can be set with environment variables using "
        "the\nRAGMONO_ prefix. The default port is 8000, e.g. for local\nuse; set server.port "
        "to change it.</p><ul><li>one\nitem</li></ul><pre>serve --port 1\nserve --help</pre>"
        "</body></html>"
    )
    text = parse_file("page.html", html.encode(), LIMITS).text
    assert lines(text) == [
        "## Ports",
        " ".join(SENTENCES),
        "- one item",
        "```",
        "serve --port 1",
        "serve --help",
        "```",
    ]


def test_paths_and_inline_code_do_not_end_a_sentence() -> None:
    paragraph = (
        "Unit tests reside in `./test/libapt` and run with `make test`. If the source comes "
        "from Git, the ./configure script has to be generated first. It takes e.g. a minute."
    )
    assert sentences(paragraph) == [
        "Unit tests reside in `./test/libapt` and run with `make test`.",
        "If the source comes from Git, the ./configure script has to be generated first.",
        "It takes e.g. a minute.",
    ]


def test_an_indented_command_is_code_introduced_by_its_lead_in() -> None:
    text = parse_file(
        "readme.md",
        b"The suite can be run via:\n\n\t$ ./test/run-tests\n\nEach test runs alone.",
        LIMITS,
    ).text
    assert [(u.kind, u.text) for u in units(text)] == [
        ("sentence", "The suite can be run via:"),
        ("code", "$ ./test/run-tests"),
        ("sentence", "Each test runs alone."),
    ]
