"""Who a document and its chunks are: default ids, point ids and the content hash."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import msgspec

from ragmono.domain import ChunkingConfig

from .chunking import normalize_text

__all__ = ["NAMESPACE", "content_hash", "document_id_for", "point_id"]

NAMESPACE = uuid.UUID("5d0c3b4e-2f7a-5a8e-9c61-7b3f1e2d4a90")
"""uuid5 namespace of point ids; changing it would orphan every stored point."""


def point_id(collection: str, document_id: str, chunk_index: int) -> str:
    """The deterministic id of a chunk: re-ingesting overwrites, never duplicates."""
    return str(uuid.uuid5(NAMESPACE, f"{collection}/{document_id}/{chunk_index}"))


def document_id_for(source: str, text: str) -> str:
    """The default id: a hash of the source when there is one, else of the text."""
    basis = f"source:{source}" if source else f"text:{normalize_text(text)}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def content_hash(
    text: str, chunking: ChunkingConfig, *, markdown: bool, source: str, metadata: dict[str, Any]
) -> str:
    """sha256 of the normalized text, the chunking parameters, source and metadata.

    Anything that changes the stored chunks changes the hash, so "unchanged" is safe to skip.
    """
    basis = msgspec.json.encode(
        [text, chunking.chunk_size, chunking.chunk_overlap, markdown, source, metadata],
        order="sorted",
    )
    return hashlib.sha256(basis).hexdigest()
