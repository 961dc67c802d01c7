"""Request and response bodies of the documents, sync and jobs routes."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from ragmono.domain import Job, JobCounts, JobError, JobState

from .documents import DocumentInput

DocumentId = Annotated[
    str,
    Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$",
        description="Letters, digits and . _ : @ -; up to 256 characters.",
        examples=["handbook-ch1"],
    ),
]
MetadataKey = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
MAX_METADATA_TEXT = 1024
"""Characters in one metadata string (a value or a list item): labels, not documents."""
MAX_METADATA_LIST = 100
"""Items in one metadata list."""
MetadataText = Annotated[str, Meta(max_length=MAX_METADATA_TEXT)]
MetadataValue = (
    MetadataText
    | int
    | float
    | bool
    | None
    | Annotated[list[MetadataText], Meta(max_length=MAX_METADATA_LIST)]
)
"""A scalar or a flat list of strings; nested objects are refused (filters cannot reach them)."""
MAX_TEXT_CHARS = 10 * 1024 * 1024
NO_NUL = r"^[^\x00]*$"
"""NUL is refused in text as it is in files: it is binary content, and storage rejects it."""
MAX_DOCUMENTS = 1000


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Base of request bodies: unknown fields are rejected, not ignored."""


class DocumentIn(_Body, frozen=True):
    text: Annotated[str, Meta(min_length=1, max_length=MAX_TEXT_CHARS, pattern=NO_NUL)]
    id: DocumentId | None = None
    """Defaults to a hash of ``source`` (or of the text when there is no source)."""
    source: Annotated[str, Meta(max_length=2048)] = ""
    metadata: Annotated[dict[MetadataKey, MetadataValue], Meta(max_length=64)] = msgspec.field(
        default_factory=dict
    )
    format: Literal["text", "markdown"] = "text"
    """``markdown``: chunks follow headings and record their section."""

    def to_input(self) -> DocumentInput:
        """The service's view of this document."""
        return DocumentInput(
            id=self.id,
            text=self.text,
            source=self.source,
            metadata=dict(self.metadata),
            markdown=self.format == "markdown",
        )


class DocumentsIn(_Body, frozen=True):
    documents: Annotated[list[DocumentIn], Meta(min_length=1, max_length=MAX_DOCUMENTS)]


class SyncIn(_Body, frozen=True):
    path: Annotated[str, Meta(min_length=1, max_length=4096)]
    """A directory, absolute or relative to an allowed root, inside ``ingest.allowed_roots``."""


class ProgressOut(msgspec.Struct, frozen=True, kw_only=True):
    documents_done: int
    documents_total: int
    chunks_done: int
    chunks_total: int
    percent: float


class JobOut(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    collection: str
    state: JobState
    """``completed_with_errors``: ran to its end, but some documents failed (see ``errors``)."""
    created_at: float
    started_at: float | None
    finished_at: float | None
    updated_at: float
    progress: ProgressOut
    eta_s: float | None
    """Seconds left at the rate measured since the first chunk was stored (None until there
    is a rate, or once finished)."""
    counts: JobCounts
    errors: list[JobError]
    detail: str
    attempts: int
    cancel_requested: bool

    @classmethod
    def build(cls, job: Job) -> JobOut:
        """Response body of a job record, with its percentage and ETA."""
        p = job.progress
        fraction = p.work_done / p.work_total if p.work_total > 0 else 0.0
        if job.finished:
            fraction = 1.0 if job.state in ("succeeded", "completed_with_errors") else fraction
        eta: float | None = None
        if job.state == "running" and p.rate > 0 and fraction < 1:
            # Measured while chunks are stored: start-up and queueing do not skew it.
            eta = round(max(p.work_total - p.work_done, 0.0) / p.rate, 1)
        return cls(
            id=job.id,
            kind=job.kind,
            collection=job.collection,
            state=job.state,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            updated_at=job.updated_at,
            progress=ProgressOut(
                documents_done=p.documents_done,
                documents_total=p.documents_total,
                chunks_done=p.chunks_done,
                chunks_total=p.chunks_total,
                percent=round(100 * fraction, 1),
            ),
            eta_s=eta,
            counts=job.counts,
            errors=job.errors,
            detail=job.detail,
            attempts=job.attempts,
            cancel_requested=job.cancel_requested,
        )


class JobList(msgspec.Struct, frozen=True, kw_only=True):
    items: list[JobOut]
