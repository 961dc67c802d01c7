"""A job's inputs and state on disk, under ``<data_dir>/jobs/<id>/``, written atomically.

A job directory is assembled under a temporary name and renamed into place, so after a crash
a job either exists with all of its inputs or not at all. ``state.json`` is rewritten (temp
file, fsync, rename) as the job progresses, so a restarted process knows where it stood.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from ragmono.domain import Job

from .documents import DocumentInput, FileInput

__all__ = [
    "DocumentsPayload",
    "FilesPayload",
    "JobFiles",
    "JobPayload",
    "ReindexPayload",
    "SyncPayload",
]

INPUT = "input.msgpack"
STATE = "state.json"


class DocumentsPayload(msgspec.Struct, frozen=True, tag="documents"):
    """JSON documents to write."""

    documents: list[DocumentInput]


class FilesPayload(msgspec.Struct, frozen=True, tag="upload"):
    """Uploaded files to parse and write."""

    files: list[FileInput]


class SyncPayload(msgspec.Struct, frozen=True, tag="sync"):
    """A server directory to mirror: ``path`` as the client gave it, checked again on run."""

    path: str


class ReindexPayload(msgspec.Struct, frozen=True, tag="reindex"):
    """Rebuild the collection with ``embedder`` (``provider/model``), then switch to it."""

    embedder: str


JobPayload = DocumentsPayload | FilesPayload | SyncPayload | ReindexPayload


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


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
        _write_atomic(staging / INPUT, msgspec.msgpack.encode(payload))
        _write_atomic(staging / STATE, msgspec.json.encode(job))
        _fsync_dir(staging)
        staging.rename(self._root / job.id)
        _fsync_dir(self._root)

    def save_state(self, job: Job) -> None:
        """Replace the job's saved state."""
        folder = self._root / job.id
        if folder.is_dir():
            _write_atomic(folder / STATE, msgspec.json.encode(job))

    def load_state(self, job_id: str) -> Job:
        """The saved state; raises OSError or msgspec.DecodeError when unreadable."""
        return msgspec.json.decode((self._root / job_id / STATE).read_bytes(), type=Job)

    def load_payload(self, job_id: str) -> JobPayload:
        """The saved input; raises OSError or msgspec.DecodeError when unreadable."""
        raw = (self._root / job_id / INPUT).read_bytes()
        payload: JobPayload = msgspec.msgpack.decode(raw, type=JobPayload)
        return payload

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
            elif entry.is_dir():
                ids.append(entry.name)
        return ids

    def remove(self, job_id: str) -> None:
        """Forget a job's folder."""
        shutil.rmtree(self._root / job_id, ignore_errors=True)
