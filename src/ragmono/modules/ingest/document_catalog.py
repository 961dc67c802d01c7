"""Documents as stored: listed, read and deleted through their chunks (one source of truth).

A document is its chunks; its chunk 0 carries the content hash and total, so listings scroll
chunk 0 of each document and need no separate registry that could disagree with the store.
"""

from __future__ import annotations

import uuid

from ragmono.domain import Chunk, Condition, Filter, Match
from ragmono.errors import InvalidInput, NotFound
from ragmono.ports import VectorStore

from .documents import ChunkText, DocumentDetail, DocumentPage, DocumentSummary
from .pipeline import DocumentWriter

__all__ = ["DocumentCatalog"]

CHUNK_LEVEL_KEYS = ("section", "page")
"""Metadata that differs per chunk, left out of document-level metadata."""


def _by_doc(doc_id: str) -> list[Condition]:
    return [Match(key="document_id", value=doc_id)]


class DocumentCatalog:
    """List, read and delete documents of a collection."""

    def __init__(self, store: VectorStore, writer: DocumentWriter) -> None:
        self._store = store
        self._writer = writer

    async def _require(self, collection: str) -> None:
        if await self._store.get_collection(collection) is None:
            raise NotFound(f"collection {collection!r} does not exist", field="name")

    async def _summary(self, collection: str, head: Chunk) -> DocumentSummary:
        stored = await self._store.count(collection, Filter(must=_by_doc(head.document_id)))
        return DocumentSummary(
            id=head.document_id,
            source=head.source,
            content_hash=head.content_hash,
            chunks=head.chunk_total,
            status="ready" if stored == head.chunk_total else "incomplete",
            updated=head.ingested_at,
            metadata={k: v for k, v in head.metadata.items() if k not in CHUNK_LEVEL_KEYS},
        )

    async def list(
        self,
        collection: str,
        *,
        source: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> DocumentPage:
        """One page of documents (optionally of one ``source``) from ``cursor`` on."""
        await self._require(collection)
        if cursor is not None:
            try:
                cursor = str(uuid.UUID(cursor))
            except ValueError:
                raise InvalidInput("cursor is not one this API returned", field="cursor") from None
        must: list[Condition] = [Match(key="chunk_index", value=0)]
        if source is not None:
            must.append(Match(key="source", value=source))
        page, nxt = await self._store.scroll(collection, Filter(must=must), limit, cursor)
        items = [await self._summary(collection, c.chunk) for c in page]
        return DocumentPage(items=items, next_cursor=nxt)

    async def get(self, collection: str, doc_id: str) -> DocumentDetail:
        """The document and every stored chunk's text; NotFound when it has no chunks."""
        await self._require(collection)
        chunks: list[Chunk] = []
        offset: str | None = None
        while True:
            page, offset = await self._store.scroll(
                collection, Filter(must=_by_doc(doc_id)), 256, offset
            )
            chunks.extend(c.chunk for c in page)
            if offset is None:
                break
        if not chunks:
            raise NotFound(f"document {doc_id!r} does not exist", field="document_id")
        chunks.sort(key=lambda c: c.chunk_index)
        head = chunks[0]
        summary = await self._summary(collection, head)
        items = [
            ChunkText(
                index=c.chunk_index,
                text=c.text,
                metadata={k: v for k, v in c.metadata.items() if k in CHUNK_LEVEL_KEYS},
            )
            for c in chunks
        ]
        return DocumentDetail(document=summary, items=items)

    async def delete(self, collection: str, doc_id: str) -> int:
        """Delete every chunk of the document; NotFound when there are none."""
        await self._require(collection)
        flt = Filter(must=_by_doc(doc_id))
        stored = await self._store.count(collection, flt)
        if stored == 0:
            raise NotFound(f"document {doc_id!r} does not exist", field="document_id")
        async with self._writer.gate.writing(collection):
            await self._store.delete(collection, flt)
            await self._writer.bump_version(collection)
        await self._store.optimize(collection)
        return stored
