"""Field-by-field translation of ragmono's results into the seed's hit shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from .backend import SeedHit
from .schemas import QueryHit, QueryHitMetadata, SearchResult

__all__ = ["confidence", "iso", "query_hit", "search_result", "title_of"]

SNIPPET_CHARS = 300
"""rag-services cut snippets at 300 characters."""


def title_of(source: str) -> str:
    """The file name of a source, or "Untitled" (as rag-services did)."""
    return PurePosixPath(source).name or "Untitled"


def iso(epoch_s: float) -> str:
    """An ISO-8601 UTC time as the seed's JavaScript wrote it (``...Z``)."""
    text = datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def search_result(hit: SeedHit, collection: str) -> SearchResult:
    """The LlamaIndex query service's hit: ``content``, ``relevance``, ``metadata``."""
    metadata: dict[str, Any] = {
        **hit.metadata,
        "file_path": hit.source,
        "file_name": title_of(hit.source),
        "collection": collection,
        "chunk_index": hit.chunk_index,
        "document_id": hit.document_id,
    }
    return SearchResult(content=hit.text, relevance=hit.score, metadata=metadata)


def query_hit(hit: SeedHit, collection: str) -> QueryHit:
    """rag-services' vector hit: title, path, url, snippet and file metadata."""
    path = hit.source.lstrip("/")
    return QueryHit(
        id=hit.id,
        score=hit.score,
        title=title_of(hit.source),
        path=path,
        url=f"/docs/{path}",
        snippet=hit.text[:SNIPPET_CHARS],
        source="rag",
        collection=collection,
        metadata=QueryHitMetadata(
            file_path=hit.source, file_name=title_of(hit.source), chunk_index=hit.chunk_index
        ),
    )


def confidence(sources: int, cited: int) -> float:
    """Share of the passages given to the answerer that the answer cites (0 when none).

    ragmono has no calibrated confidence; this is a plain, documented stand-in for the
    LlamaIndex query service's field: 1.0 when every passage is cited, 0 when nothing was.
    """
    return round(cited / sources, 3) if sources else 0.0
