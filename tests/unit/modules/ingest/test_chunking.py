"""Chunks fit the token budget, overlap, and know their section and page."""

from __future__ import annotations

import itertools

import pytest

from ragmono.adapters.tokenizer import load_chunking_tokenizer
from ragmono.domain import ChunkingConfig
from ragmono.modules.ingest import Chunker
from ragmono.modules.ingest.chunking import normalize_text

SENTENCES = " ".join(
    f"Sentence number {i} talks about topic {i % 7} at length." for i in range(200)
)


@pytest.fixture(scope="module")
def chunker() -> Chunker:
    return Chunker(load_chunking_tokenizer)


def test_chunks_respect_the_token_budget_and_overlap(chunker: Chunker) -> None:
    tokenizer = load_chunking_tokenizer()
    config = ChunkingConfig(chunk_size=64, chunk_overlap=16)
    pieces = chunker.split(SENTENCES, config, markdown=False)
    assert len(pieces) > 10
    sizes = [len(tokenizer.encode(p.text, add_special_tokens=False).ids) for p in pieces]
    assert max(sizes) <= 64
    # Overlap: each chunk starts with words the previous one ended with.
    assert all(nxt.text.split()[0] in prev.text for prev, nxt in itertools.pairwise(pieces))
    no_overlap = chunker.split(
        SENTENCES, ChunkingConfig(chunk_size=64, chunk_overlap=0), markdown=False
    )
    assert len(no_overlap) < len(pieces)


def test_the_shipped_tokenizer_file_would_truncate_without_the_loader(chunker: Chunker) -> None:
    # One chunk per 512 tokens: a 2000-token text must give several, not one.
    pieces = chunker.split(SENTENCES, ChunkingConfig(), markdown=False)
    assert len(pieces) >= 4


def test_markdown_chunks_carry_their_section(chunker: Chunker) -> None:
    text = (
        "# Guide\n\nWelcome text.\n\n## Install\n\n"
        + "Install steps are described here in detail. " * 30
        + "\n\n## Usage\n\n"
        + "Use it daily and read the output carefully. " * 30
    )
    pieces = chunker.split(text, ChunkingConfig(chunk_size=64, chunk_overlap=0), markdown=True)
    sections = [p.section for p in pieces]
    assert sections[0] == "Guide"
    assert "Guide > Install" in sections
    assert sections[-1] == "Guide > Usage"
    # A heading never stands alone as a chunk: it is glued to the content after it.
    assert all(not p.text.strip().startswith("#") or "\n" in p.text.strip() for p in pieces)
    usage = next(p for p in pieces if p.section == "Guide > Usage")
    assert usage.text.startswith("## Usage")


def test_pdf_pages_give_each_chunk_its_page(chunker: Chunker) -> None:
    pages = ["Alpha page words. " * 40, "Beta page words. " * 40, "Gamma page words. " * 40]
    pieces = chunker.split(
        "\f".join(pages), ChunkingConfig(chunk_size=64, chunk_overlap=0), markdown=False
    )
    assert next(p.page for p in pieces) == 1
    assert pieces[-1].page == 3
    assert all("\f" not in p.text for p in pieces)
    assert {p.page for p in pieces if "Beta" in p.text and "Alpha" not in p.text} == {2}


def test_normalize_text_makes_equivalent_texts_equal() -> None:
    assert normalize_text("Cafe\u0301 \r\nline  \r\n\n") == normalize_text("Café\nline")
