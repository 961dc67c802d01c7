"""BM25-style keyword vectors from qdrant-edge's encoder (stemming, stop words, hashing)."""

from __future__ import annotations

import qdrant_edge as qe

from ragmono.domain import SparseVector

__all__ = ["Bm25Encoder"]


class Bm25Encoder:
    """:class:`~ragmono.ports.SparseEncoder` on ``qdrant_edge.Bm25``.

    Documents get BM25 term-frequency weights (``k``, ``b``, ``avg_len``); the store applies IDF
    at query time, so the same vectors work in every vector-store mode.
    """

    def __init__(
        self, *, k: float = 1.2, b: float = 0.75, avg_len: float = 256.0, language: str = "english"
    ) -> None:
        self._bm25 = qe.Bm25(qe.Bm25Config(k=k, b=b, avg_len=avg_len, language=language))

    def encode_document(self, text: str) -> SparseVector:
        """TF-weighted sparse vector of a chunk."""
        sv = self._bm25.embed_document(text)
        return SparseVector(indices=list(sv.indices), values=list(sv.values))

    def encode_query(self, text: str) -> SparseVector:
        """Term-presence sparse vector of a query."""
        sv = self._bm25.embed_query(text)
        return SparseVector(indices=list(sv.indices), values=list(sv.values))
