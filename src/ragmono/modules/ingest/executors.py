"""What each kind of job does: write documents, parse and write files, mirror a directory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import PurePosixPath
from typing import TypeVar

from ragmono.domain import Filter, Job, JobCounts, JobProgress, Match
from ragmono.errors import RagmonoError

from . import sync
from .documents import DocumentInput, DocumentResult, FileInput
from .intake import failed_file, file_document
from .job_files import DocumentsPayload, FilesPayload, JobPayload, ReindexPayload, SyncPayload
from .parsing import ParseLimits
from .pipeline import DocumentWriter
from .progress import JobObserver

__all__ = ["IngestJobs", "ReindexRun", "iterate", "parsed_stream"]

T = TypeVar("T")

ReindexRun = Callable[[Job, ReindexPayload, JobObserver], Awaitable[None]]
"""Runs one reindex job (the reindex module's ``Reindexer.run``), handed in by the wiring."""


async def iterate(items: Iterable[T]) -> AsyncIterator[T]:
    """An async stream over items already in memory."""
    for item in items:
        yield item


async def parsed_stream(
    files: Iterable[FileInput], limits: ParseLimits
) -> AsyncIterator[DocumentInput | DocumentResult]:
    """Each file parsed as the writer reaches it; a file that cannot be read becomes a result."""
    for i, file in enumerate(files):
        try:
            yield await file_document(file, limits, field=f"files[{i}]")
        except RagmonoError as exc:
            yield failed_file(file, exc)


class IngestJobs:
    """The :data:`~ragmono.modules.ingest.jobs.JobExecutor` of ingest jobs."""

    def __init__(
        self,
        writer: DocumentWriter,
        limits: ParseLimits,
        *,
        allowed_roots: Sequence[str],
        max_file_bytes: int,
        reindexer: ReindexRun | None = None,
    ) -> None:
        self._reindexer = reindexer
        self._writer = writer
        self._limits = limits
        self._allowed_roots = list(allowed_roots)
        self._max_file_bytes = max_file_bytes

    async def __call__(self, job: Job, payload: JobPayload, observer: JobObserver) -> None:
        """Run ``job`` from where it stood (documents already done are skipped)."""
        if isinstance(payload, ReindexPayload):
            if self._reindexer is None:
                raise RagmonoError("reindex jobs are not available in this process")
            await self._reindexer(job, payload, observer)
            return
        spec = await self._writer.open(job.collection)
        done = job.progress.documents_done
        if isinstance(payload, DocumentsPayload):
            documents = payload.documents[done:]
            observer.expect([len(d.text) for d in documents], documents_before=done)
            await self._writer.write(spec, iterate(documents), observer)
        elif isinstance(payload, FilesPayload):
            files = payload.files[done:]
            observer.expect([len(f.data) for f in files], documents_before=done)
            await self._writer.write(spec, parsed_stream(files, self._limits), observer)
        else:
            await self._sync(job, payload, observer)

    async def _sync(self, job: Job, payload: SyncPayload, observer: JobObserver) -> None:
        # A directory may have changed meanwhile: a resumed sync scans again from the start,
        # and content hashes make the files it already wrote cheap "unchanged" skips.
        job.progress, job.counts, job.errors = JobProgress(), JobCounts(), []
        target = sync.resolve(payload.path, self._allowed_roots)
        accept = sync.selector(payload.patterns, payload.ignore)
        limit = self._max_file_bytes
        in_scope: Callable[[str], bool]
        if payload.paths is None:
            found = await asyncio.to_thread(sync.scan, target, max_file_bytes=limit, accept=accept)
            in_scope = _under([target.prefix.rstrip("/")] if target.prefix else None)
        else:  # a watched folder's batch: only the changed paths
            found, scopes = await asyncio.to_thread(
                sync.scan_paths, target, payload.paths, max_file_bytes=limit, accept=accept
            )
            in_scope = _under(scopes)
        job.counts.skipped = found.skipped
        files, busy = _settled(found.files, payload.settle_s)
        if busy:
            job.detail = f"{len(busy)} file(s) still being written were left for the watch"
        observer.expect([max(f.size, 1) for f in files])
        await observer.flush(force=True)
        spec = await self._writer.open(job.collection)
        await self._writer.write(spec, self._sync_stream(target, files), observer)
        if not observer.stopped:
            seen = {f.source for f in found.files}  # busy ones included: not deleted either
            job.counts.deleted = await self._remove_orphans(
                job.collection, target, seen, in_scope, optimize=payload.paths is None
            )

    async def _sync_stream(
        self, target: sync.SyncTarget, files: list[sync.SyncFile]
    ) -> AsyncIterator[DocumentInput | DocumentResult]:
        for found in files:
            doc_id = sync.document_id_for_sync(target.root, found.source)
            meta = {"sync_root": str(target.root)}
            if found.problem is None:
                try:
                    data = await asyncio.to_thread(found.path.read_bytes)
                except OSError as exc:
                    found = sync.SyncFile(found.path, found.source, 0, f"cannot read: {exc}")
            if found.problem is not None:
                yield DocumentResult(
                    id=doc_id,
                    status="failed",
                    source=found.source,
                    file=found.source,
                    error_status=_status_of(found.problem),
                    error=f"{found.source}: {found.problem}",
                )
                continue
            file = FileInput(
                name=found.source, data=data, source=found.source, document_id=doc_id, metadata=meta
            )
            try:
                yield await file_document(file, self._limits, field=found.source)
            except RagmonoError as exc:
                yield failed_file(file, exc)

    async def _remove_orphans(
        self,
        collection: str,
        target: sync.SyncTarget,
        seen: set[str],
        in_scope: Callable[[str], bool],
        *,
        optimize: bool = True,
    ) -> int:
        """Delete this root's documents in scope (under the synced folder, or at or under a
        watched batch's paths) whose files are gone."""
        store = self._writer.store
        heads = Filter(
            must=[
                Match(key="chunk_index", value=0),
                Match(key="metadata.sync_root", value=str(target.root)),
            ]
        )
        orphans: list[str] = []
        offset: str | None = None
        while True:
            page, offset = await store.scroll(collection, heads, 256, offset)
            orphans.extend(
                c.chunk.document_id
                for c in page
                if c.chunk.source not in seen and in_scope(c.chunk.source)
            )
            if offset is None:
                break
        async with self._writer.gate.writing(collection):
            for doc_id in orphans:
                by_doc = Filter(must=[Match(key="document_id", value=doc_id)])
                await store.delete(collection, by_doc)
            if orphans:
                await self._writer.bump_version(collection)
            if optimize or orphans:
                await store.optimize(collection)
        return len(orphans)


def _settled(
    files: list[sync.SyncFile], settle_s: float
) -> tuple[list[sync.SyncFile], list[sync.SyncFile]]:
    """Files to write now, and those modified within ``settle_s`` (still being written)."""
    if settle_s <= 0:
        return files, []
    now = time.time()
    ready = [f for f in files if f.problem is not None or now - f.mtime >= settle_s]
    return ready, [f for f in files if f.problem is None and now - f.mtime < settle_s]


def _under(scopes: Sequence[str] | None) -> Callable[[str], bool]:
    """Whether a source is one of ``scopes`` or below one (None: every source)."""
    if scopes is None:
        return lambda source: True
    wanted = set(scopes)

    def check(source: str) -> bool:
        path = PurePosixPath(source)
        return source in wanted or any(str(parent) in wanted for parent in path.parents)

    return check


def _status_of(problem: str) -> int:
    if problem.startswith("symbolic"):
        return 403
    return 413 if "over the limit" in problem else 422
