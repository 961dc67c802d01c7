"""``ragmono ingest PATH --collection NAME``: files in, in this process or through a server.

In-process (the default) opens the data directory itself, so the server must be stopped (the
embedded store has one owner); ``--url`` uploads to a running server instead.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx

from ragmono.errors import DependencyUnavailable
from ragmono.lifespan import build_services, open_adapters
from ragmono.modules.ingest import SUPPORTED_EXTENSIONS, DocumentResult, FileInput
from ragmono.settings import Settings

__all__ = ["ingest_local", "ingest_remote", "list_files"]

UPLOAD_BATCH_FILES = 16
UPLOAD_BATCH_BYTES = 8 * 1024 * 1024


def list_files(path: Path) -> tuple[list[tuple[Path, str]], int]:
    """Supported files under ``path`` (or ``path`` itself) with their sources; and skips."""
    if path.is_file():
        return [(path, path.name)], 0
    found: list[tuple[Path, str]] = []
    skipped = 0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file = Path(dirpath) / name
            if file.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append((file, file.relative_to(path).as_posix()))
            else:
                skipped += 1
    return found, skipped


def _echo_failures(results: list[DocumentResult] | list[dict[str, Any]]) -> int:
    failed = 0
    for r in results:
        status = r.status if isinstance(r, DocumentResult) else r.get("status")
        if status == "failed":
            failed += 1
            error = r.error if isinstance(r, DocumentResult) else r.get("error")
            click.echo(f"failed: {error}", err=True)
    return failed


async def ingest_local(settings: Settings, path: Path, collection: str, *, create: bool) -> int:
    """Ingest with the same IngestService as the server; returns the number of failed files."""
    files, skipped = list_files(path)
    try:
        async with open_adapters(settings) as adapters:
            services = build_services(settings, adapters)
            if await adapters.vector_store.get_collection(collection) is None:
                if not create:
                    raise click.ClickException(
                        f"collection {collection!r} does not exist (pass --create)"
                    )
                await services.collections.create(collection)
            inputs = (FileInput(name=source, data=file.read_bytes()) for file, source in files)
            label = f"ingesting into {collection}"
            with click.progressbar(length=len(files), label=label) as bar:

                async def advance(_: DocumentResult) -> None:
                    bar.update(1)

                report = await services.ingest.write_files(collection, inputs, on_result=advance)
    except DependencyUnavailable as exc:
        hint = (
            ": stop the server first, or pass --url to send the files to it"
            if "in use" in exc.detail
            else ""
        )
        raise click.ClickException(f"{exc.detail}{hint}") from None
    click.echo(
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}, "
        f"failed {report.failed}, skipped {skipped} (unsupported type)"
    )
    return _echo_failures(report.results)


def _batches(files: list[tuple[Path, str]]) -> Iterator[list[tuple[Path, str]]]:
    batch: list[tuple[Path, str]] = []
    size = 0
    for file, source in files:
        length = file.stat().st_size
        if batch and (len(batch) >= UPLOAD_BATCH_FILES or size + length > UPLOAD_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append((file, source))
        size += length
    if batch:
        yield batch


async def ingest_remote(
    http: httpx.AsyncClient, path: Path, collection: str, *, create: bool
) -> int:
    """Upload the files to a running server in batches; returns the number of failed files."""
    files, skipped = list_files(path)
    found = await http.get(f"/api/v1/collections/{collection}")
    if found.status_code == 404:
        if not create:
            raise click.ClickException(f"collection {collection!r} does not exist (pass --create)")
        _check(await http.post("/api/v1/collections", json={"name": collection}))
    else:
        _check(found)
    totals = dict.fromkeys(("created", "updated", "unchanged", "failed"), 0)
    results: list[dict[str, Any]] = []
    upload = f"/api/v1/collections/{collection}/documents/upload"
    with click.progressbar(length=len(files), label=f"uploading to {collection}") as bar:
        for batch in _batches(files):
            parts = [("files", (source, file.read_bytes())) for file, source in batch]
            response = await http.post(upload, files=parts)
            body = await _finished(http, response, len(batch))
            results += body.get("results", [])
            for key in totals:
                totals[key] += int(body.get(key, body.get("counts", {}).get(key, 0)))
            bar.update(len(batch))
    click.echo(
        f"created {totals['created']}, updated {totals['updated']}, unchanged "
        f"{totals['unchanged']}, failed {totals['failed']}, skipped {skipped} (unsupported type)"
    )
    _echo_failures(results)
    return totals["failed"]


async def _finished(
    http: httpx.AsyncClient, response: httpx.Response, files: int
) -> dict[str, Any]:
    """The upload's report, waiting for its job when the server answered 202."""
    if response.status_code in (413, 415, 422):  # every file of the batch was refused
        detail = response.json().get("detail", response.text)
        click.echo(f"failed: {detail}", err=True)
        return {"failed": files}
    _check(response)
    if response.status_code != 202:
        return dict(response.json())
    location = response.headers["location"]
    while True:
        job = _check(await http.get(location)).json()
        if job["state"] not in ("queued", "running"):
            for error in job["errors"]:
                click.echo(f"failed: {error['detail']}", err=True)
            return {"counts": job["counts"]}
        await asyncio.sleep(0.5)


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise click.ClickException(f"server answered {response.status_code}: {detail}")
    return response
