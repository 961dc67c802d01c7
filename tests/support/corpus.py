"""A small company-handbook corpus with known facts, and ways to store it.

API tests ingest it over HTTP (:func:`documents_body`); unit tests store it through the ports
(:func:`seed`). ``retention`` is long enough to be split into several chunks at the default
chunk size (for chunk_index filters). ``published`` metadata is epoch seconds, the form date
range filters compare against.
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


_RETENTION = [
    f"Record class R-{i:02d}: {kind} are archived for {years} accounting periods after the "
    f"fiscal close, stored in the {place} archive, and destroyed by shredding once the "
    f"period ends unless a legal hold applies; the {owner} department audits this class "
    f"every {review} months and reports exceptions to the compliance officer."
    for i, (kind, years, place, owner, review) in enumerate(
        [
            ("supplier invoices", 10, "basement", "finance", 12),
            ("payroll slips", 7, "north", "people", 6),
            ("signed contracts", 12, "vault", "legal", 24),
            ("customer complaints", 3, "digital", "support", 6),
            ("safety inspection reports", 15, "plant", "operations", 12),
            ("board minutes", 30, "vault", "legal", 36),
            ("expense claims", 6, "digital", "finance", 12),
            ("job applications", 1, "digital", "people", 3),
            ("delivery notes", 5, "warehouse", "logistics", 12),
            ("tax filings", 10, "vault", "finance", 12),
            ("training records", 8, "digital", "people", 12),
            ("vehicle logbooks", 4, "garage", "operations", 6),
        ]
        * 3,
        start=1,
    )
]

RETENTION = Doc(
    id="retention",
    source="legal/retention.md",
    chunks=[" ".join(_RETENTION)],
    metadata={"team": "legal", "year": 2019, "published": _epoch("2019-02-01")},
)
"""One long document (about 2,500 words): several chunks at the default chunk size."""


def documents_body(docs: list[Doc] = HANDBOOK) -> dict[str, Any]:
    """The body of ``POST /api/v1/collections/{name}/documents`` for ``docs``."""
    return {
        "documents": [
            {
                "id": d.id,
                "source": d.source,
                "text": "\n\n".join(d.chunks),
                "metadata": d.metadata,
            }
            for d in docs
        ]
    }


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
