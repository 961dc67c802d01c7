"""HTTP for documents, uploads, sync and jobs: translate, call one service method, reply."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import (
    HeaderParameter,
    JSONBody,
    MultipartBody,
    PathParameter,
    QueryParameter,
)
from litestar.types import ControllerRouterHandler

from ragmono.errors import InvalidInput

from .documents import (
    DocumentDetail,
    DocumentPage,
    FileInput,
    IngestOutcome,
    IngestReport,
    JobAccepted,
)
from .jobs import JobRunner
from .schemas import DocumentsIn, JobList, JobOut, SyncIn
from .service import IngestService
from .watch_controller import WatchController

__all__ = ["DocumentController", "JobController", "UploadController", "ingest_handlers"]

CollectionPath = Annotated[
    str,
    PathParameter(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Collection name.", title="name"
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Retries with the same key get the first result back.",
    ),
]
DocumentPath = Annotated[
    str,
    PathParameter(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,255}$", description="Document id.", title="id"
    ),
]
JobPath = Annotated[str, PathParameter(max_length=64, description="Job id.")]
MAX_FILES = 100
ACCEPTED = {
    202: ResponseSpec(
        data_container=JobAccepted,
        generate_examples=False,
        description="Large: accepted as a background job; `Location` names it.",
    )
}


def _clean_name(filename: str) -> str:
    """A relative path kept as the source (it is only a label): no root, no '..' parts."""
    parts = [
        p for p in PurePosixPath(filename.replace("\\", "/")).parts if p not in ("/", "..", ".")
    ]
    return "/".join(parts) or "unnamed"


def _reply(outcome: IngestOutcome, replayed: bool) -> Response[IngestReport | JobAccepted]:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if isinstance(outcome, JobAccepted):
        headers["Location"] = outcome.location
        return Response(outcome, status_code=202, headers=headers)
    return Response(outcome, status_code=200, headers=headers)


class DocumentController(Controller):
    """Add, list, read and delete a collection's documents; mirror a server directory."""

    path = "/collections/{name:str}"
    tags = ["documents"]
    opt = {"scope": "ingest"}  # writes; the two reads below need only "search"

    @post(
        "/documents",
        summary="Add or replace documents (202 with a job when large)",
        status_code=200,
        responses=ACCEPTED,
    )
    async def add(
        self,
        data: JSONBody[DocumentsIn],
        ingest: NamedDependency[IngestService],
        name: CollectionPath,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[IngestReport | JobAccepted]:
        outcome, replayed = await ingest.ingest_documents(
            name, [d.to_input() for d in data.documents], idempotency_key=idempotency_key
        )
        return _reply(outcome, replayed)

    @get("/documents", summary="List documents (cursor-paginated)", opt={"scope": "search"})
    async def list_documents(
        self,
        ingest: NamedDependency[IngestService],
        name: CollectionPath,
        source: Annotated[str | None, QueryParameter(max_length=2048, required=False)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=64, required=False)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> DocumentPage:
        return await ingest.list_documents(name, source=source, limit=limit, cursor=cursor)

    @get(
        "/documents/{document_id:str}",
        summary="A document with its chunks' text",
        opt={"scope": "search"},
    )
    async def get_document(
        self,
        ingest: NamedDependency[IngestService],
        name: CollectionPath,
        document_id: DocumentPath,
    ) -> DocumentDetail:
        return await ingest.get_document(name, document_id)

    @delete("/documents/{document_id:str}", summary="Delete a document and all of its chunks")
    async def delete_document(
        self,
        ingest: NamedDependency[IngestService],
        name: CollectionPath,
        document_id: DocumentPath,
    ) -> None:
        await ingest.delete_document(name, document_id)

    @post("/sync", summary="Mirror a server directory (always a job)", status_code=202)
    async def sync(
        self,
        data: JSONBody[SyncIn],
        ingest: NamedDependency[IngestService],
        name: CollectionPath,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[IngestReport | JobAccepted]:
        outcome, replayed = await ingest.sync(name, data.path, idempotency_key=idempotency_key)
        return _reply(outcome, replayed)


async def _require_parts(request: Request[Any, Any, Any]) -> None:
    # Litestar 2.25 raises IndexError (a 500) extracting list[UploadFile] from a multipart body
    # with no parts; the form parsed here is cached and reused by that extraction.
    if not await request.form():
        raise InvalidInput("the multipart body holds no files", field="body.files")


class UploadController(Controller):
    """Multipart uploads; mounted under a router that carries the upload size limit."""

    path = "/collections/{name:str}"
    tags = ["documents"]
    opt = {"scope": "ingest"}

    @post(
        "/documents/upload",
        summary="Upload files: .txt .md .rst .html .pdf .docx (per-file results)",
        status_code=200,
        before_request=_require_parts,
        responses=ACCEPTED,
    )
    async def upload(
        self,
        data: MultipartBody[list[UploadFile]],
        ingest: NamedDependency[IngestService],
        name: CollectionPath,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[IngestReport | JobAccepted]:
        if len(data) > MAX_FILES:
            raise InvalidInput(f"at most {MAX_FILES} files per upload", field="body.files")
        files = []
        for upload in data:
            files.append(FileInput(name=_clean_name(upload.filename), data=await upload.read()))
            await upload.close()
        outcome, replayed = await ingest.ingest_files(name, files, idempotency_key=idempotency_key)
        return _reply(outcome, replayed)


class JobController(Controller):
    """Background ingest jobs: state, progress, ETA, errors; cancel."""

    path = "/jobs"
    tags = ["jobs"]
    opt = {"scope": "ingest"}  # jobs are ingest work: reading and cancelling them too

    @get("/", summary="Recent jobs, newest first")
    async def list_jobs(
        self,
        jobs: NamedDependency[JobRunner],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> JobList:
        return JobList(items=[JobOut.build(j) for j in await jobs.list(limit)])

    @get("/{job_id:str}", summary="A job's state, progress, ETA and errors")
    async def get_job(self, jobs: NamedDependency[JobRunner], job_id: JobPath) -> JobOut:
        return JobOut.build(await jobs.get(job_id))

    @post(
        "/{job_id:str}/cancel",
        summary="Cancel a job (stops within about a second, also inside a document)",
        status_code=202,
    )
    async def cancel(self, jobs: NamedDependency[JobRunner], job_id: JobPath) -> JobOut:
        return JobOut.build(await jobs.cancel(job_id))


def ingest_handlers(max_upload_bytes: int) -> list[ControllerRouterHandler]:
    """The module's controllers; uploads get their own body limit (``server.max_upload_bytes``)."""
    uploads = Router(
        path="/", route_handlers=[UploadController], request_max_body_size=max_upload_bytes
    )
    return [DocumentController, JobController, WatchController, uploads]
