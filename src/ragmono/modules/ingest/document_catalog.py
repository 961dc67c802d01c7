"""Documents as stored: listed, read and deleted through their chunks (one source of truth).

A document is its chunks; its chunk 0 carries the content hash and total, so listings scroll
chunk 0 of each document and need no separate registry that could disagree with the store.
Every read, relabel and delete is narrowed to the documents the caller (a :class:`Reader`)
may read: another caller's document is "not found", never "forbidden".
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from ragmono.domain import ACCESS_KEY, Chunk, Condition, Filter, Match, Reader
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

    async def _require(self, collection: str, reader: Reader) -> list[Condition]:
        """The conditions that narrow a read of ``collection`` to what ``reader`` may see."""
        spec = await self._store.get_collection(collection)
        if spec is None or not reader.in_tenant(spec.tenant):
            raise NotFound(f"collection {collection!r} does not exist", field="name")
        condition = reader.condition(spec.default_access)
        return [] if condition is None else [condition]

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
            access=list(head.access),
        )

    async def list(
        self,
        collection: str,
        *,
        reader: Reader,
        source: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> DocumentPage:
        """One page of the documents ``reader`` may read (optionally of one ``source``)."""
        visible = await self._require(collection, reader)
        if cursor is not None:
            try:
                cursor = str(uuid.UUID(cursor))
            except ValueError:
                raise InvalidInput("cursor is not one this API returned", field="cursor") from None
        must: list[Condition] = [Match(key="chunk_index", value=0), *visible]
        if source is not None:
            must.append(Match(key="source", value=source))
        page, nxt = await self._store.scroll(collection, Filter(must=must), limit, cursor)
        items = [await self._summary(collection, c.chunk) for c in page]
        return DocumentPage(items=items, next_cursor=nxt)

    async def get(self, collection: str, doc_id: str, *, reader: Reader) -> DocumentDetail:
        """The document and every stored chunk's text; NotFound when it has no chunks
        ``reader`` may read."""
        visible = await self._require(collection, reader)
        chunks: list[Chunk] = []
        offset: str | None = None
        while True:
            page, offset = await self._store.scroll(
                collection, Filter(must=[*_by_doc(doc_id), *visible]), 256, offset
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

    async def delete(self, collection: str, doc_id: str, *, reader: Reader) -> int:
        """Delete every chunk of the document; NotFound when ``reader`` sees none."""
        visible = await self._require(collection, reader)
        flt = Filter(must=_by_doc(doc_id))
        stored = await self._store.count(collection, Filter(must=[*flt.must, *visible]))
        if stored == 0:
            raise NotFound(f"document {doc_id!r} does not exist", field="document_id")
        async with self._writer.gate.writing(collection):
            await self._store.delete(collection, flt)
            await self._writer.bump_version(collection)
        await self._store.optimize(collection)
        return stored

    async def relabel(
        self, collection: str, doc_id: str, labels: Sequence[str], *, reader: Reader
    ) -> DocumentSummary:
        """Give every chunk of the document the access ``labels`` (no re-embedding).

        NotFound when ``reader`` sees none of its chunks. The collection's content version is
        bumped, so no cached result made under the old labels is served again.
        """
        visible = await self._require(collection, reader)
        flt = Filter(must=_by_doc(doc_id))
        heads, _ = await self._store.scroll(
            collection, Filter(must=[*flt.must, Match(key="chunk_index", value=0), *visible]), 1
        )
        if not heads:
            raise NotFound(f"document {doc_id!r} does not exist", field="document_id")
        async with self._writer.gate.writing(collection):
            await self._store.set_payload(collection, flt, {ACCESS_KEY: list(labels)})
            await self._writer.bump_version(collection)
        head = msgspec.structs.replace(heads[0].chunk, access=list(labels))
        return await self._summary(collection, head)
