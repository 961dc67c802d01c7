"""Background jobs as recorded by the job store: state, progress, counts and errors."""

from __future__ import annotations

from typing import Literal

import msgspec

JobState = Literal["queued", "running", "succeeded", "completed_with_errors", "failed", "cancelled"]
"""``completed_with_errors``: the job ran to its end but some documents failed (see errors)."""
JobKind = Literal["documents", "upload", "sync", "reindex"]
TERMINAL_STATES: frozenset[str] = frozenset(
    {"succeeded", "completed_with_errors", "failed", "cancelled"}
)


class JobProgress(msgspec.Struct, kw_only=True):
    """How far a job got. ``work_*`` weighs documents by their size: a document's share is
    done as its chunks are stored, so progress moves with the chunks embedded."""

    documents_done: int = 0
    documents_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0
    """Chunks planned so far (documents are chunked as the job reaches them)."""
    work_done: float = 0.0
    work_total: float = 0.0
    rate: float = 0.0
    """``work`` per second, measured since the first chunk was stored (0: not measured yet)."""


class JobCounts(msgspec.Struct, kw_only=True):
    """Per-outcome document counts; ``deleted`` counts orphans a sync removed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    deleted: int = 0
    skipped: int = 0
    """Files a sync ignored (unsupported type)."""


class JobError(msgspec.Struct, frozen=True, kw_only=True):
    """Why one document of a job failed; ``status`` is the HTTP status it would have had."""

    document: str
    status: int
    detail: str


class Job(msgspec.Struct, kw_only=True):
    """One background job. Mutable: the runner updates it and saves it back to the store."""

    id: str
    kind: JobKind
    collection: str
    state: JobState = "queued"
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float = 0.0
    progress: JobProgress = msgspec.field(default_factory=JobProgress)
    counts: JobCounts = msgspec.field(default_factory=JobCounts)
    errors: list[JobError] = msgspec.field(default_factory=list)
    detail: str = ""
    """Why the job failed or was interrupted; empty otherwise."""
    attempts: int = 0
    """How many times a runner started this job (more than 1 after a restart)."""
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        """Whether the job reached a terminal state."""
        return self.state in TERMINAL_STATES
