"""rag-services' collection routes (``/api/v1/rag/collections``) onto ragmono's collection and
ingest services. The seed-only attributes (directory, file types, flags) live in the
:class:`~.registry.SeedRegistry`; ingest and clean-orphans run ragmono's directory sync.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Final

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath

from ragmono.errors import Conflict, NotFound

from .backend import SeedDocument, SeedIngest
from .collections_body import body_of, parse_request
from .context import CompatContext
from .envelope import ERROR_CODE, SeedError, checked_name, envelope
from .schemas import Envelope, FileEntry
from .translate import iso

__all__ = ["SeedCollectionsController"]

_BARE_NOT_FOUND: Final = {"error": "Collection not found", "code": "COLLECTION_NOT_FOUND"}
"""rag-services answered these two routes' 404 without its envelope."""
_NAME_PATH: Final = "/{name:str}"


async def _json(request: Request[Any, Any, Any]) -> object:
    raw = await request.body()
    try:
        return msgspec.json.decode(raw) if raw.strip() else None
    except msgspec.DecodeError:
        raise SeedError(400, "VALIDATION_ERROR", "the body is not valid JSON") from None


def _file_path(doc: SeedDocument) -> Path | None:
    root = doc.metadata.get("sync_root")
    return Path(str(root)) / doc.source if root else None


def _file_entry(doc: SeedDocument) -> FileEntry:
    path = _file_path(doc)
    exists = path is not None and path.is_file()
    status = "pending" if not doc.complete else "orphan" if path and not exists else "indexed"
    return FileEntry(
        path=doc.source,
        size_bytes=path.stat().st_size if path is not None and exists else 0,
        chunk_count=doc.chunks,
        status=status,
        last_modified=iso(doc.updated) if doc.updated else None,
    )


async def _files(compat: CompatContext, name: str) -> list[FileEntry]:
    return [_file_entry(d) for d in await compat.backend.documents(name)]


async def _ingest(compat: CompatContext, name: str) -> SeedIngest:
    directory = compat.registry.get(name).directory
    if not directory:
        raise SeedError(
            400,
            "DIRECTORY_NOT_SET",
            f"collection {name!r} has no directory; set one with PUT /api/v1/rag/collections/"
            f"{name} (ragmono syncs it under ingest.allowed_roots)",
        )
    job = await compat.backend.sync(name, directory, wait_s=compat.ingest_wait_s)
    if job.state in ("failed", "cancelled", "interrupted"):
        raise SeedError(500, "COLLECTION_INGEST_ERROR", job.detail or f"sync job {job.state}")
    return job


class SeedCollectionsController(Controller):
    """List, describe, create, change, drop, ingest and clean collections, seed-shaped."""

    path = "/collections"
    tags = ["seed compat"]

    @get("/", opt={"scope": "search", ERROR_CODE: "COLLECTIONS_LIST_ERROR"}, cache=False)
    async def list_all(
        self, request: Request[Any, Any, Any], compat: NamedDependency[CompatContext]
    ) -> Response[Envelope]:
        items = [
            body_of(c, compat.registry.get(c.name), files=await _files(compat, c.name))
            for c in await compat.backend.collections()
        ]
        return envelope(request, {"collections": items, "total": len(items)})

    @post("/", opt={"scope": "ingest", ERROR_CODE: "COLLECTION_CREATE_ERROR"})
    async def create(
        self, request: Request[Any, Any, Any], compat: NamedDependency[CompatContext]
    ) -> Response[Envelope]:
        raw = await _json(request)
        checked = parse_request(raw, create=True)
        checked.check_model(compat.backend.embedding_model)
        name = str(raw["name"])  # type: ignore[index]  # checked by parse_request
        try:
            spec = await compat.backend.create_collection(
                name,
                description=checked.description or "",
                chunk_size=checked.chunk_size,
                chunk_overlap=checked.chunk_overlap,
            )
        except Conflict as exc:
            raise SeedError(409, "COLLECTION_ALREADY_EXISTS", exc.detail) from None
        seed = checked.attributes(compat.registry.get(name))
        await compat.registry.put(name, seed)
        data = {
            "collection": body_of(spec, seed),
            "message": "Collection created successfully",
        }
        return envelope(request, data, status=201)

    @get(_NAME_PATH, opt={"scope": "search", ERROR_CODE: "COLLECTION_GET_ERROR"}, cache=False)
    async def get_one(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Envelope]:
        name = checked_name(name)
        spec = await compat.backend.collection(name, stats=True)
        body = body_of(spec, compat.registry.get(name), files=await _files(compat, name))
        return envelope(request, {**msgspec.to_builtins(body), "config": None})

    @put(_NAME_PATH, opt={"scope": "ingest", ERROR_CODE: "COLLECTION_UPDATE_ERROR"})
    async def update(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Envelope]:
        name = checked_name(name)
        checked = parse_request(await _json(request), create=False)
        current = await compat.backend.collection(name, stats=False)
        checked.check_model(current.embedding_model)
        spec = await compat.backend.update_collection(
            name,
            description=checked.description,
            chunk_size=checked.chunk_size,
            chunk_overlap=checked.chunk_overlap,
        )
        seed = checked.attributes(compat.registry.get(name))
        await compat.registry.put(name, seed)
        data = {
            "collection": body_of(spec, seed),
            "message": "Collection updated successfully",
        }
        return envelope(request, data)

    @delete(
        _NAME_PATH,
        status_code=200,
        opt={"scope": "admin", ERROR_CODE: "COLLECTION_DELETE_ERROR"},
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Envelope]:
        name = checked_name(name)
        spec = await compat.backend.collection(name, stats=True)
        await compat.backend.delete_collection(name)
        await compat.registry.drop(name)
        points = spec.points or 0
        data = {
            "message": "Collection deleted successfully",
            "deletedCollection": {
                "name": name,
                "stats": {"vectorsCount": points, "pointsCount": points},
            },
        }
        return envelope(request, data)

    @get(
        _NAME_PATH + "/stats",
        opt={"scope": "search", ERROR_CODE: "COLLECTION_STATS_DETAILED_ERROR"},
        cache=False,
    )
    async def stats(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Envelope]:
        name = checked_name(name)
        spec = await compat.backend.collection(name, stats=True)
        files = await _files(compat, name)
        size = sum(f.size_bytes for f in files)
        data = {
            "collection": name,
            "cached": False,
            "stats": {
                "qdrant": {
                    "status": "green",
                    "points_count": spec.points,
                    "vectors_count": spec.points,
                    "indexed_vectors_count": spec.indexed_points,
                    "config": {"params": {"vectors": {"size": spec.dimensions}}},
                },
                "metrics": {
                    "totalFiles": len(files),
                    "indexedFiles": sum(f.status == "indexed" for f in files),
                    "pendingFiles": sum(f.status == "pending" for f in files),
                    "orphanChunks": sum(f.chunk_count for f in files if f.status == "orphan"),
                    "chunkCount": spec.points or 0,
                    "directorySizeBytes": size,
                    "directorySizeMB": round(size / 1_048_576, 2),
                    "note": "files are the documents stored in ragmono (sources of synced files)",
                },
            },
            "timestamp": iso(time.time()),
        }
        return envelope(request, data)

    @get(_NAME_PATH + "/files", opt={"scope": "search", ERROR_CODE: "COLLECTION_FILES_ERROR"})
    async def files(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Any]:
        try:
            documents = await compat.backend.documents(checked_name(name))
        except NotFound:
            return Response(_BARE_NOT_FOUND, status_code=404)
        files = [_file_entry(d) for d in documents]
        chunks = sum(f.chunk_count for f in files)
        size = sum(f.size_bytes for f in files)
        count = len(files)
        summary = {
            "totalFiles": count,
            "totalChunks": chunks,
            "totalSizeBytes": size,
            "totalSizeMB": round(size / 1_048_576, 2),
            "avgChunksPerFile": round(chunks / count, 2) if count else 0,
            "avgFileSizeKB": round(size / 1024 / count, 2) if count else 0,
        }
        return envelope(request, {"files": files, "summary": summary})

    @post(
        _NAME_PATH + "/ingest",
        status_code=200,
        opt={"scope": "ingest", ERROR_CODE: "COLLECTION_INGEST_ERROR"},
    )
    async def ingest(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Envelope]:
        name = checked_name(name)
        await compat.backend.collection(name, stats=False)  # 404 before anything else
        job = await _ingest(compat, name)
        done = job.state in ("succeeded", "completed_with_errors")
        data = {
            "message": "Ingestion job created",
            "job": {
                "jobId": job.job_id,
                "status": "COMPLETED" if done else job.state.upper(),
                "message": (
                    f"{job.created} created, {job.updated} updated, {job.unchanged} unchanged, "
                    f"{job.failed} failed, {job.deleted} removed"
                    if done
                    else f"still {job.state} after {compat.ingest_wait_s:g} s: "
                    f"GET /api/v1/jobs/{job.job_id}"
                ),
            },
            "stats": {
                "total_duration_ms": job.duration_ms,
                "llamaindex_duration_ms": job.duration_ms,
            },
        }
        return envelope(request, data)

    @post(
        _NAME_PATH + "/clean-orphans",
        status_code=200,
        opt={"scope": "ingest", ERROR_CODE: "COLLECTION_CLEAN_ERROR"},
    )
    async def clean_orphans(
        self,
        request: Request[Any, Any, Any],
        compat: NamedDependency[CompatContext],
        name: FromPath[str],
    ) -> Response[Any]:
        try:
            await compat.backend.collection(checked_name(name), stats=False)
        except NotFound:
            return Response(_BARE_NOT_FOUND, status_code=404)
        job = await _ingest(compat, name)
        data = {
            "message": f"Removed {job.deleted} orphaned file(s)",
            "collection": name,
            "deletedChunks": job.deleted_chunks,
            "deletedFiles": job.deleted,
        }
        return envelope(request, data)
