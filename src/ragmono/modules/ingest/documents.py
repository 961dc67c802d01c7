"""What the ingest module works with inside: documents to write and what became of them."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

DocumentStatus = Literal["created", "updated", "unchanged", "failed"]


class DocumentInput(msgspec.Struct, frozen=True, kw_only=True):
    """One document to write. ``id`` None: derived from ``source`` (or the text when no source).

    ``markdown`` makes chunking follow headings; parsers set it for Markdown, HTML and DOCX,
    whose headings they render as ``#`` lines. Form feeds (``\\f``) separate PDF pages.
    """

    text: str
    id: str | None = None
    source: str = ""
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    markdown: bool = False
    access: list[str] = msgspec.field(default_factory=list)
    """Access labels given to every chunk (checked, sorted; empty: ``default_access``)."""
    writer: list[str] | None = None
    """The writing caller's labels: a stored document with this id that they cannot read is
    left alone (the result fails, 409). None: not checked (operators, the CLI)."""


class FileInput(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded or synced file: its name (type comes from the extension) and bytes."""

    name: str
    data: bytes
    source: str = ""
    """Defaults to ``name``."""
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    document_id: str | None = None
    access: list[str] = msgspec.field(default_factory=list)
    writer: list[str] | None = None
    """As :attr:`DocumentInput.writer`."""


class DocumentResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What happened to one document (or file)."""

    id: str
    status: DocumentStatus
    chunks: int = 0
    source: str = ""
    file: str | None = None
    error_status: int | None = None
    """HTTP status the failure would have had on its own (413, 415, 422, ...)."""
    error: str | None = None


class IngestReport(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of a request that was written while the client waited."""

    collection: str
    results: list[DocumentResult]
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0

    @classmethod
    def of(cls, collection: str, results: list[DocumentResult]) -> IngestReport:
        """A report with the counts filled in."""
        counts = {s: sum(1 for r in results if r.status == s) for s in ("created", "updated")}
        return cls(
            collection=collection,
            results=results,
            created=counts["created"],
            updated=counts["updated"],
            unchanged=sum(1 for r in results if r.status == "unchanged"),
            failed=sum(1 for r in results if r.status == "failed"),
        )


class JobAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """The request became a background job; poll ``location``."""

    job_id: str
    location: str
    state: str = "queued"


IngestOutcome = IngestReport | JobAccepted


class DocumentSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A stored document as listed: read from its chunk 0."""

    id: str
    source: str
    content_hash: str
    chunks: int
    status: Literal["ready", "incomplete"]
    """``incomplete``: the stored chunk count differs from the total (a write was cut short)."""
    updated: float
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    access: list[str] = msgspec.field(default_factory=list)
    """The document's access labels (empty: the collection's ``default_access``)."""


class DocumentPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of documents and the cursor of the next (None on the last)."""

    items: list[DocumentSummary]
    next_cursor: str | None


class ChunkText(msgspec.Struct, frozen=True, kw_only=True):
    """One stored chunk of a document."""

    index: int
    text: str
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class DocumentDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A document with the text of every stored chunk, in order."""

    document: DocumentSummary
    items: list[ChunkText]
