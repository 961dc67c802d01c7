"""Sample chunks and query vectors for vector-store tests (every adapter gets the same data)."""

from __future__ import annotations

import uuid

from ragmono.adapters.bm25 import Bm25Encoder
from ragmono.adapters.memory import HashingEmbedder
from ragmono.domain import Chunk, ChunkPoint, CollectionSpec, EmbedderRef, SparseVector

DIMS = 64
EMBEDDER = EmbedderRef(provider="hashing", model="hashing", dimensions=DIMS)
TEXTS = {
    "a": "The lighthouse keeper climbed the spiral stairs at dusk.",
    "b": "Quarterly revenue grew because of strong cloud sales.",
    "c": "Error code ZX-4471 means the disk controller timed out.",
}
_NS = uuid.UUID("0b5c9e57-64c4-4d4b-9f0e-3b8f9c6f1a20")


def spec(name: str = "docs", **changes: object) -> CollectionSpec:
    """A collection of 64-d hashing vectors."""
    changes.setdefault("embedder", EMBEDDER)
    return CollectionSpec(name=name, **changes)  # type: ignore[arg-type]


def point_id(document_id: str, index: int = 0) -> str:
    """Deterministic uuid5 ids, as the ingest service makes them."""
    return str(uuid.uuid5(_NS, f"{document_id}#{index}"))


async def points(texts: dict[str, str] | None = None, *, year0: int = 2020) -> list[ChunkPoint]:
    """One chunk per document with both vectors and a ``metadata.year``."""
    texts = texts or TEXTS
    embedder, bm25 = HashingEmbedder(DIMS), Bm25Encoder()
    vectors = await embedder.embed_documents(list(texts.values()))
    return [
        ChunkPoint(
            id=point_id(doc),
            dense=vec,
            sparse=bm25.encode_document(text),
            chunk=Chunk(
                document_id=doc,
                source=f"{doc}.md",
                chunk_index=0,
                chunk_total=1,
                content_hash=(doc * 8)[:8],
                text=text,
                metadata={"year": year0 + i},
            ),
        )
        for i, ((doc, text), vec) in enumerate(zip(texts.items(), vectors, strict=True))
    ]


async def query_vectors(text: str) -> tuple[list[float], SparseVector]:
    """Dense and sparse query vectors for ``text``."""
    return await HashingEmbedder(DIMS).embed_query(text), Bm25Encoder().encode_query(text)
