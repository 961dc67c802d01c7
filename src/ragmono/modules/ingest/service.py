"""The ingest front door: validate, then write now or hand to a background job.

Requests with more text than ``async_threshold_bytes`` (and every sync) become jobs; smaller
ones are written while the client waits. With an ``Idempotency-Key`` the first outcome is
stored and a retry of the same request gets it back instead of doing the work again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

import msgspec

from ragmono.domain import JobKind
from ragmono.errors import InvalidInput, PayloadTooLarge, RagmonoError
from ragmono.ports import IdempotencyStore

from .chunking import normalize_text
from .document_catalog import DocumentCatalog
from .documents import (
    DocumentDetail,
    DocumentInput,
    DocumentPage,
    DocumentResult,
    FileInput,
    IngestOutcome,
    IngestReport,
    JobAccepted,
)
from .executors import iterate, parsed_stream
from .idempotency import Idempotency
from .identity import document_id_for
from .intake import failed_file, read_files, screen_files
from .job_files import DocumentsPayload, FilesPayload, JobPayload, SyncPayload
from .jobs import JobRunner
from .parsing import ParseLimits
from .pipeline import DocumentWriter
from .sync import resolve

__all__ = ["IngestLimits", "IngestService"]


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """The settings the service enforces."""

    async_threshold_bytes: int = 256 * 1024
    allowed_roots: tuple[str, ...] = ()
    idempotency_ttl_s: float = 86400
    max_document_chars: int = 2_000_000
    parse: ParseLimits = field(default_factory=ParseLimits)


class IngestService:
    """Write documents and files, mirror directories, and read or delete what is stored."""

    def __init__(
        self,
        writer: DocumentWriter,
        runner: JobRunner,
        idempotency: IdempotencyStore,
        limits: IngestLimits,
    ) -> None:
        self._writer = writer
        self._runner = runner
        self._limits = limits
        self._catalog = DocumentCatalog(writer.store, writer)
        self._idempotency = Idempotency(idempotency, ttl_s=limits.idempotency_ttl_s)

    # -- writes ----------------------------------------------------------------------------------

    async def ingest_documents(
        self,
        collection: str,
        documents: Sequence[DocumentInput],
        *,
        idempotency_key: str | None = None,
        background: bool | None = None,
    ) -> tuple[IngestOutcome, bool]:
        """Write JSON documents; returns the outcome and whether it was an idempotent replay.

        ``background`` None: a job when the text is over the threshold.
        """
        checked = _checked(documents)
        limit = self._limits.max_document_chars
        for i, doc in enumerate(checked):
            if len(doc.text) > limit:
                raise PayloadTooLarge(
                    f"document {i} has {len(doc.text)} characters, over "
                    f"ingest.max_document_chars ({limit})",
                    field=f"body.documents[{i}].text",
                )
        fingerprint = _digest(msgspec.msgpack.encode(checked))

        async def run() -> IngestOutcome:
            spec = await self._writer.open(collection)
            size = sum(len(d.text.encode()) for d in checked)
            if self._background(background, size):
                return await self._submit("documents", collection, DocumentsPayload(checked))
            results = await self._writer.write(spec, iterate(checked))
            return IngestReport.of(collection, results)

        return await self._idempotency.run(
            f"{collection}/documents", idempotency_key, fingerprint, run
        )

    async def ingest_files(
        self,
        collection: str,
        files: Sequence[FileInput],
        *,
        idempotency_key: str | None = None,
        background: bool | None = None,
    ) -> tuple[IngestOutcome, bool]:
        """Parse and write uploaded files, each with its own result.

        When every file is refused, raises the refusal (its 4xx) and writes nothing; a job is
        accepted only after each file's type, size, decoded size and page count are checked.
        """
        if not files:
            raise InvalidInput("no files were uploaded", field="body.files")
        digest = hashlib.sha256()
        for f in files:
            digest.update(f"{f.name}\0{len(f.data)}\0".encode())
            digest.update(hashlib.sha256(f.data).digest())

        async def run() -> IngestOutcome:
            spec = await self._writer.open(collection)
            if self._background(background, sum(len(f.data) for f in files)):
                refused = await screen_files(files, self._limits.parse)
                if len(refused) == len(files):
                    raise _all_refused(refused)
                # The refused ones fail again in the job, which then says completed_with_errors.
                return await self._submit("upload", collection, FilesPayload(list(files)))
            parsed = await read_files(files, self._limits.parse)
            errors = [(f, r) for f, r in parsed if isinstance(r, RagmonoError)]
            if len(errors) == len(files):
                raise _all_refused(errors)
            items = [failed_file(f, r) if isinstance(r, RagmonoError) else r for f, r in parsed]
            results = await self._writer.write(spec, iterate(items))
            return IngestReport.of(collection, results)

        return await self._idempotency.run(
            f"{collection}/upload", idempotency_key, digest.hexdigest(), run
        )

    async def sync(
        self, collection: str, path: str, *, idempotency_key: str | None = None
    ) -> tuple[IngestOutcome, bool]:
        """Mirror a server directory under an allowed root (always a job)."""
        resolve(path, list(self._limits.allowed_roots))  # refuse now, not in the job

        async def run() -> IngestOutcome:
            await self._writer.open(collection)
            return await self._submit("sync", collection, SyncPayload(path=path))

        return await self._idempotency.run(
            f"{collection}/sync", idempotency_key, _digest(path.encode()), run
        )

    async def write_files(
        self,
        collection: str,
        files: Iterable[FileInput],
        *,
        on_result: Callable[[DocumentResult], Awaitable[None]] | None = None,
    ) -> IngestReport:
        """Parse and write files in this process, now, reporting each (the CLI's path)."""
        spec = await self._writer.open(collection)

        class _Observer:
            async def planned(self, position: int, chunks: int) -> None:
                return None

            async def written(self, chunks: int) -> None:
                return None

            async def document_done(self, position: int, result: DocumentResult) -> None:
                if on_result is not None:
                    await on_result(result)

            async def should_stop(self) -> bool:
                return False

        results = await self._writer.write(
            spec, parsed_stream(files, self._limits.parse), _Observer()
        )
        return IngestReport.of(collection, results)

    # -- reads and deletes -----------------------------------------------------------------------

    async def list_documents(
        self,
        collection: str,
        *,
        source: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> DocumentPage:
        """A page of the collection's documents."""
        return await self._catalog.list(collection, source=source, limit=limit, cursor=cursor)

    async def get_document(self, collection: str, document_id: str) -> DocumentDetail:
        """A document with its chunks' text."""
        return await self._catalog.get(collection, document_id)

    async def delete_document(self, collection: str, document_id: str) -> int:
        """Delete every chunk of a document; returns how many there were."""
        return await self._catalog.delete(collection, document_id)

    # -- helpers ---------------------------------------------------------------------------------

    def _background(self, requested: bool | None, size: int) -> bool:
        return requested if requested is not None else size > self._limits.async_threshold_bytes

    async def _submit(self, kind: JobKind, collection: str, payload: JobPayload) -> JobAccepted:
        job = await self._runner.submit(kind, collection, payload)
        return JobAccepted(job_id=job.id, location=f"/api/v1/jobs/{job.id}", state=job.state)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checked(documents: Sequence[DocumentInput]) -> list[DocumentInput]:
    """Ids filled in; blank texts and duplicate ids refused before anything is written."""
    seen: dict[str, int] = {}
    out: list[DocumentInput] = []
    for i, doc in enumerate(documents):
        if not normalize_text(doc.text):
            raise InvalidInput(
                "text is empty or only whitespace", field=f"body.documents[{i}].text"
            )
        doc_id = doc.id or document_id_for(doc.source, doc.text)
        if doc_id in seen:
            raise InvalidInput(
                f"document id {doc_id!r} also appears at documents[{seen[doc_id]}]",
                field=f"body.documents[{i}].id",
            )
        seen[doc_id] = i
        out.append(msgspec.structs.replace(doc, id=doc_id))
    return out


def _all_refused(errors: list[tuple[FileInput, RagmonoError]]) -> RagmonoError:
    if len(errors) == 1:
        return errors[0][1]
    statuses = {e.status_code for _, e in errors}
    detail = "every file was refused: " + "; ".join(e.detail for _, e in errors)
    error = type(errors[0][1]) if len(statuses) == 1 else InvalidInput
    return error(detail, field="body.files")
