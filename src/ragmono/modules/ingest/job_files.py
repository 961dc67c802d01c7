"""A job's inputs and state on disk, under ``<data_dir>/jobs/<id>/``, written atomically.

A job directory is assembled under a temporary name and renamed into place, so after a crash
a job either exists with all of its inputs or not at all. ``state.json`` is rewritten (temp
file, fsync, rename) as the job progresses, so a restarted process knows where it stood.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec

from ragmono.domain import Job
from ragmono.files import write_atomic

from .documents import DocumentInput, FileInput

__all__ = [
    "DocumentsPayload",
    "FilesPayload",
    "JobFiles",
    "JobPayload",
    "PayloadLoader",
    "ReindexPayload",
    "SyncPayload",
    "decode_payload",
    "encode_payload",
    "payload_weights",
]

INPUT = "input.msgpack"
STATE = "state.json"
QUARANTINE = ".quarantine"
"""Folders of jobs whose state could not be read: kept with their input, reported failed."""
FAILED = "failed.json"
CANCEL = "cancel"
"""Present once a cancel was asked for: read on resume, so a cancel survives a restart."""


class DocumentsPayload(msgspec.Struct, frozen=True, tag="documents"):
    """JSON documents to write."""

    documents: list[DocumentInput]


class FilesPayload(msgspec.Struct, frozen=True, tag="upload"):
    """Uploaded files to parse and write."""

    files: list[FileInput]


class SyncPayload(msgspec.Struct, frozen=True, tag="sync"):
    """A server directory to mirror: ``path`` as the client gave it, checked again on run.

    A watched folder's batch names the changed ``paths`` (relative to that directory, files or
    folders): only those are read, and only documents at or under them can be deleted.
    ``patterns``/``ignore`` are the watch's globs on paths relative to the directory. Files
    modified less than ``settle_s`` ago are still being written: left alone (neither read nor
    deleted); the watch ingests them once they settle.
    """

    path: str
    access: list[str] = msgspec.field(default_factory=list)
    """Access labels given to every document of the folder."""
    writer: list[str] | None = None
    """The caller's labels (see ``DocumentInput.writer``)."""
    paths: list[str] | None = None
    patterns: list[str] = msgspec.field(default_factory=list)
    ignore: list[str] = msgspec.field(default_factory=list)
    settle_s: float = 0.0


class ReindexPayload(msgspec.Struct, frozen=True, tag="reindex"):
    """Rebuild the collection with ``embedder`` (``provider/model``), then switch to it."""

    embedder: str


JobPayload = DocumentsPayload | FilesPayload | SyncPayload | ReindexPayload


PayloadLoader = Callable[[], Awaitable[JobPayload]]
"""Reads a job's saved input (from its folder, or from the shared job queue)."""


def payload_weights(payload: JobPayload) -> list[int] | None:
    """Each document's weight (its size) for progress; None when only the run knows (sync)."""
    if isinstance(payload, DocumentsPayload):
        return [len(d.text) for d in payload.documents]
    if isinstance(payload, FilesPayload):
        return [len(f.data) for f in payload.files]
    return None


def encode_payload(payload: JobPayload) -> bytes:
    """A job's input as stored (msgpack): in its folder, or in the shared job queue."""
    return msgspec.msgpack.encode(payload)


def decode_payload(raw: bytes) -> JobPayload:
    """The input back from ``encode_payload``; raises msgspec.DecodeError when garbled."""
    payload: JobPayload = msgspec.msgpack.decode(raw, type=JobPayload)
    return payload


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JobFiles:
    """The ``jobs`` directory: one folder per job with its input and its state."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def create(self, job: Job, payload: JobPayload) -> None:
        """Persist a new job's input and state; durable when this returns."""
        self._root.mkdir(parents=True, exist_ok=True)
        staging = self._root / f".staging-{job.id}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        write_atomic(staging / INPUT, encode_payload(payload))
        write_atomic(staging / STATE, msgspec.json.encode(job))
        _fsync_dir(staging)
        staging.rename(self._root / job.id)
        _fsync_dir(self._root)

    def save_state(self, job: Job) -> None:
        """Replace the job's saved state."""
        folder = self._root / job.id
        if folder.is_dir():
            write_atomic(folder / STATE, msgspec.json.encode(job))

    def load_state(self, job_id: str) -> Job:
        """The saved state; raises OSError or msgspec.DecodeError when unreadable."""
        return msgspec.json.decode((self._root / job_id / STATE).read_bytes(), type=Job)

    def load_payload(self, job_id: str) -> JobPayload:
        """The saved input; raises OSError or msgspec.DecodeError when unreadable."""
        return decode_payload((self._root / job_id / INPUT).read_bytes())

    def request_cancel(self, job_id: str) -> None:
        """Record a cancel in the job's folder; durable when this returns."""
        folder = self._root / job_id
        if folder.is_dir():
            write_atomic(folder / CANCEL, b"")
            _fsync_dir(folder)

    def cancel_requested(self, job_id: str) -> bool:
        """Whether a cancel was recorded for the job."""
        return (self._root / job_id / CANCEL).exists()

    def drop_payload(self, job_id: str) -> None:
        """Delete a finished job's input (it can be large); its state stays."""
        (self._root / job_id / INPUT).unlink(missing_ok=True)

    def ids(self) -> list[str]:
        """Ids of the saved jobs; leftover staging folders are removed."""
        if not self._root.is_dir():
            return []
        ids = []
        for entry in sorted(self._root.iterdir()):
            if entry.name.startswith(".staging-"):
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.is_dir() and not entry.name.startswith("."):
                ids.append(entry.name)
        return ids

    def quarantine(self, job_id: str) -> str:
        """Move a job's folder, input and all, to ``.quarantine/``; its path under the data dir.

        For a job whose state cannot be read: its input is never deleted on a read error.
        """
        target = self._root / QUARANTINE / job_id
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        (self._root / job_id).rename(target)
        _fsync_dir(self._root)
        return f"{self._root.name}/{QUARANTINE}/{job_id}"

    def record_quarantined(self, job: Job) -> None:
        """Save the failed record of a quarantined job beside its kept files."""
        write_atomic(self._root / QUARANTINE / job.id / FAILED, msgspec.json.encode(job))

    def quarantined(self) -> list[Job]:
        """The failed records of quarantined jobs (those still readable)."""
        folder = self._root / QUARANTINE
        jobs = []
        for path in sorted(folder.glob(f"*/{FAILED}")) if folder.is_dir() else []:
            try:
                jobs.append(msgspec.json.decode(path.read_bytes(), type=Job))
            except (OSError, msgspec.DecodeError):
                continue  # written atomically by us: only a disk fault gets here
        return jobs

    def kind_of(self, job_id: str) -> str | None:
        """The kind of job the saved input is for, or None when it cannot be read."""
        try:
            payload = self.load_payload(job_id)
        except (OSError, msgspec.DecodeError):
            return None
        return msgspec.inspect.type_info(type(payload)).tag  # type: ignore[attr-defined,no-any-return]

    def remove(self, job_id: str) -> None:
        """Forget a job's folder."""
        shutil.rmtree(self._root / job_id, ignore_errors=True)
