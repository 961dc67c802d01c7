"""The word-piece tokenizer chunk sizes are counted in (all-MiniLM-L6-v2's, shipped in assets)."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

__all__ = ["load_chunking_tokenizer"]

TOKENIZER_FILE = Path(__file__).parent / "assets" / "all-MiniLM-L6-v2" / "tokenizer.json"


def load_chunking_tokenizer(path: Path = TOKENIZER_FILE) -> Tokenizer:
    """The tokenizer with truncation and padding off, so it counts every token of a text.

    The shipped file truncates at 128 tokens; left on, every text would "fit" in one chunk.
    """
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer
