"""``ragmono ingest PATH --url URL``: upload the files to a running server, in batches.

Large uploads become jobs on the server (202); this waits for each and reports like in-process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import EXIT_REFUSED, CliError
from .ingest_files import echo_report, failures_of, list_files
from .remote import check, problem_line

if TYPE_CHECKING:
    import httpx

__all__ = ["ingest_remote"]

UPLOAD_BATCH_FILES = 16
UPLOAD_BATCH_BYTES = 8 * 1024 * 1024


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
    http: httpx.AsyncClient,
    path: Path,
    collection: str,
    *,
    create: bool,
    verbose: bool = False,
    access: Sequence[str] = (),
) -> int:
    """Upload the files to a running server in batches; returns the number of failed files."""
    files = list_files(path)
    await ensure_collection(http, collection, create)
    totals = dict.fromkeys(("created", "updated", "unchanged", "failed"), 0)
    failures: list[str] = []
    upload = f"/api/v1/collections/{collection}/documents/upload"
    with click.progressbar(length=len(files.found), label=f"uploading to {collection}") as bar:
        for batch in _batches(files.found):
            parts = [("files", (source, file.read_bytes())) for file, source in batch]
            params = {"access": ",".join(access)} if access else None
            response = await http.post(upload, files=parts, params=params)
            body = await _finished(http, response, batch, failures)
            failures += failures_of(body.get("results", []))
            for key in totals:
                totals[key] += int(body.get(key, body.get("counts", {}).get(key, 0)))
            bar.update(len(batch))
    echo_report(totals, files.skipped, failures, verbose=verbose)
    return totals["failed"]


async def ensure_collection(http: httpx.AsyncClient, collection: str, create: bool) -> None:
    """The server has ``collection``, made now with ``create``; else ``CliError``."""
    found = await http.get(f"/api/v1/collections/{collection}")
    if found.status_code == 404:
        if not create:
            raise CliError(
                f"collection {collection!r} does not exist (pass --create)", EXIT_REFUSED
            )
        check(await http.post("/api/v1/collections", json={"name": collection}))
    else:
        check(found)


async def _finished(
    http: httpx.AsyncClient,
    response: httpx.Response,
    batch: list[tuple[Path, str]],
    failures: list[str],
) -> dict[str, Any]:
    """The upload's report, waiting for its job when the server answered 202."""
    if response.status_code in (413, 415, 422):  # every file of the batch was refused
        names = ", ".join(source for _, source in batch)
        failures.append(f"{names}: {problem_line(response)}")
        return {"failed": len(batch)}
    check(response)
    if response.status_code != 202:
        return dict(response.json())
    location = response.headers["location"]
    while True:
        job = check(await http.get(location)).json()
        if job["state"] not in ("queued", "running"):
            failures.extend(error["detail"] for error in job["errors"])
            return {"counts": job["counts"]}
        await asyncio.sleep(0.5)
