"""The keyword-encoder port: text to sparse BM25-style vectors."""

from __future__ import annotations

from typing import Protocol

from ragmono.domain import SparseVector


class SparseEncoder(Protocol):
    """Encodes documents (term-frequency weights) and queries (term presence) as sparse vectors.

    The store applies IDF at query time, so one encoder serves every vector-store mode.
    """

    def encode_document(self, text: str) -> SparseVector:
        """The sparse vector stored with a chunk."""
        ...

    def encode_query(self, text: str) -> SparseVector:
        """The sparse vector searched with; empty when the query has only stop words."""
        ...
