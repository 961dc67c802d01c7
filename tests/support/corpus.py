"""A small company-handbook corpus with known facts, and a way to store it through the ports.

Each document is one chunk except ``remote``, which has two (for chunk_index filters).
``published`` metadata is epoch seconds, the form date range filters compare against.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from ragmono.domain import Chunk, ChunkPoint, EmbedderRef
from ragmono.ports import Embedder, SparseEncoder, VectorStore


class Doc(msgspec.Struct, frozen=True, kw_only=True):
    """One handbook document, already split into chunks."""

    id: str
    source: str
    chunks: list[str]
    metadata: dict[str, Any]


def _epoch(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


HANDBOOK: list[Doc] = [
    Doc(
        id="leave",
        source="handbook/leave.md",
        chunks=[
            "Annual leave. Every employee receives 25 days of paid annual leave per calendar "
            "year. Unused vacation days can be carried over until the end of March of the "
            "following year. Requests for leave longer than two weeks need approval from your "
            "manager."
        ],
        metadata={"team": "hr", "year": 2024, "published": _epoch("2024-01-15")},
    ),
    Doc(
        id="password",
        source="it/password.md",
        chunks=[
            "Resetting your password. Open Settings, choose Security and click Forgot "
            "password. A reset link is emailed to you and stays valid for 30 minutes. After "
            "five failed sign-in attempts the account is locked for one hour."
        ],
        metadata={"team": "it", "year": 2023, "published": _epoch("2023-06-01")},
    ),
    Doc(
        id="expenses",
        source="finance/expenses.md",
        chunks=[
            "Travel expenses. Submit receipts within 30 days of returning from a trip. Meals "
            "are reimbursed up to 60 euros per day. Economy class is required for flights "
            "shorter than six hours."
        ],
        metadata={"team": "finance", "year": 2022, "published": _epoch("2022-03-10")},
    ),
    Doc(
        id="kitchen",
        source="office/kitchen.md",
        chunks=[
            "Kitchen rules. The espresso machine on the third floor is descaled every Friday "
            "afternoon. Please label the food you keep in the fridge; the fridge is emptied "
            "on Thursdays."
        ],
        metadata={"team": "facilities", "year": 2024, "published": _epoch("2024-09-02")},
    ),
    Doc(
        id="access",
        source="office/access.md",
        chunks=[
            "Building access. Visitors must sign in at reception and wear a visitor badge at "
            "all times. Lost employee badges are replaced by the facilities desk within one "
            "working day. The building is closed on public holidays."
        ],
        metadata={"team": "facilities", "year": 2023, "published": _epoch("2023-11-20")},
    ),
    Doc(
        id="remote",
        source="handbook/remote.md",
        chunks=[
            "Remote work. Staff may work from home up to three days per week. Core hours are "
            "10:00 to 15:00, when everyone should be reachable.",
            "Home office equipment. The company pays for one monitor and an ergonomic chair "
            "for employees who work from home regularly.",
        ],
        metadata={"team": "hr", "year": 2024, "published": _epoch("2024-04-30")},
    ),
    Doc(
        id="shipping",
        source="orders/confirmation-118.txt",
        chunks=[
            "Order confirmation: the replacement gasket ships from Rotterdam next Tuesday "
            "under reference ZX-4471-B. Contact logistics for delivery windows and customs "
            "paperwork."
        ],
        metadata={"team": "logistics", "year": 2025, "published": _epoch("2025-02-11")},
    ),
    Doc(
        id="zx-family",
        source="products/zx.md",
        chunks=[
            "The ZX controller family: ZX-4400, ZX-4470 and ZX-4471 models share firmware. "
            "ZX units report faults with blinking codes."
        ],
        metadata={"team": "engineering", "year": 2021, "published": _epoch("2021-05-05")},
    ),
    Doc(
        id="zx-codes",
        source="products/zx-codes.md",
        chunks=[
            "ZX-4471-A error codes: E1 means overheating, E2 a blocked filter, E3 a sensor "
            "fault on the ZX board."
        ],
        metadata={"team": "engineering", "year": 2021, "published": _epoch("2021-05-06")},
    ),
]


# Embeddings are deterministic: compute each text once per test session.
_VECTORS: dict[tuple[EmbedderRef, str], list[float]] = {}


def point_id(collection: str, document_id: str, chunk_index: int) -> str:
    """Deterministic point id, as ingest makes them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{collection}/{document_id}#{chunk_index}"))


async def seed(
    store: VectorStore,
    embedder: Embedder,
    sparse: SparseEncoder,
    collection: str,
    docs: list[Doc] = HANDBOOK,
) -> int:
    """Embed and upsert ``docs`` into an existing collection; returns the chunk count."""
    chunks = [
        Chunk(
            document_id=doc.id,
            source=doc.source,
            chunk_index=i,
            chunk_total=len(doc.chunks),
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            text=text,
            metadata=doc.metadata,
        )
        for doc in docs
        for i, text in enumerate(doc.chunks)
    ]
    ref = embedder.ref
    missing = [c.text for c in chunks if (ref, c.text) not in _VECTORS]
    if missing:
        for text, vector in zip(missing, await embedder.embed_documents(missing), strict=True):
            _VECTORS[ref, text] = vector
    vectors = [_VECTORS[ref, c.text] for c in chunks]
    await store.upsert(
        collection,
        [
            ChunkPoint(
                id=point_id(collection, c.document_id, c.chunk_index),
                dense=v,
                sparse=sparse.encode_document(c.text),
                chunk=c,
            )
            for c, v in zip(chunks, vectors, strict=True)
        ],
    )
    return len(chunks)
