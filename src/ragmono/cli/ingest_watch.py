"""``ragmono ingest DIR -c NAME --watch``: keep a collection in step with a folder.

With ``--url`` the server is asked to watch the folder (``POST .../watches``, kept across its
restarts; the folder must be under its ``ingest.allowed_roots``) and the command returns. In
process, this process runs the same watcher and jobs as the server until Ctrl-C.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import EXIT_SERVER, CliError
from .ingest_files import ensure_local_collection
from .ingest_remote import ensure_collection
from .remote import check

if TYPE_CHECKING:
    import httpx

    from ragmono.settings import Settings

__all__ = ["watch_local", "watch_remote"]


async def watch_remote(
    http: httpx.AsyncClient,
    path: Path,
    collection: str,
    *,
    create: bool,
    access: Sequence[str] = (),
) -> None:
    """Ask the server to watch ``path`` (resolved) for ``collection``; prints the watch."""
    await ensure_collection(http, collection, create)
    body = {"path": str(path), "access": list(access)}
    watch = check(await http.post(f"/api/v1/collections/{collection}/watches", json=body)).json()
    click.echo(
        f"the server watches {watch['directory']} for {collection} (watch {watch['id']}); "
        "changes are ingested as they happen: see GET /api/v1/jobs"
    )


async def watch_local(
    settings: Settings,
    path: Path,
    collection: str,
    *,
    create: bool,
    access: Sequence[str] = (),
) -> None:
    """Watch ``path`` (resolved) in this process until interrupted (the server stopped)."""
    import msgspec

    from ragmono.errors import DependencyUnavailable
    from ragmono.lifespan import build_services, open_adapters
    from ragmono.settings import WatchEntry

    folder = str(path)
    ingest = msgspec.structs.replace(
        settings.ingest,
        allowed_roots=[*settings.ingest.allowed_roots, folder],
        watch=[WatchEntry(path=folder, collection=collection, access=list(access))],
    )
    settings = msgspec.structs.replace(settings, ingest=ingest)
    try:
        async with open_adapters(settings) as adapters:
            services = build_services(settings, adapters)
            await ensure_local_collection(adapters, services, collection, create)
            async with services.jobs.running(), services.watches.running():
                click.echo(f"watching {folder} for {collection}; Ctrl-C stops")
                await asyncio.Event().wait()
    except DependencyUnavailable as exc:
        hint = ": stop the server first, or pass --url" if "in use" in exc.detail else ""
        raise CliError(f"{exc.detail}{hint}", EXIT_SERVER) from None
