"""``ragmono ingest DIR -c NAME --watch``: keep a collection in step with a folder.

With ``--url`` the server is asked to watch the folder (``POST .../watches``, kept across its
restarts; the folder must be under its ``ingest.allowed_roots``) and the command returns. In
process, this process runs the same watcher and jobs as the server until Ctrl-C.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import EXIT_REFUSED, EXIT_SERVER, CliError
from .remote import check

if TYPE_CHECKING:
    import httpx

    from ragmono.settings import Settings

__all__ = ["watch_local", "watch_remote"]


async def watch_remote(
    http: httpx.AsyncClient, path: Path, collection: str, *, create: bool
) -> None:
    """Ask the server to watch ``path`` (resolved) for ``collection``; prints the watch."""
    await _ensure_remote(http, collection, create)
    body = {"path": str(path)}
    watch = check(await http.post(f"/api/v1/collections/{collection}/watches", json=body)).json()
    click.echo(
        f"the server watches {watch['directory']} for {collection} (watch {watch['id']}); "
        "changes are ingested as they happen: see GET /api/v1/jobs"
    )


async def _ensure_remote(http: httpx.AsyncClient, collection: str, create: bool) -> None:
    found = await http.get(f"/api/v1/collections/{collection}")
    if found.status_code == 404:
        if not create:
            raise CliError(
                f"collection {collection!r} does not exist (pass --create)", EXIT_REFUSED
            )
        check(await http.post("/api/v1/collections", json={"name": collection}))
    else:
        check(found)


async def watch_local(settings: Settings, path: Path, collection: str, *, create: bool) -> None:
    """Watch ``path`` (resolved) in this process until interrupted (the server stopped)."""
    import msgspec

    from ragmono.errors import DependencyUnavailable
    from ragmono.lifespan import build_services, open_adapters
    from ragmono.settings import WatchEntry

    folder = str(path)
    ingest = msgspec.structs.replace(
        settings.ingest,
        allowed_roots=[*settings.ingest.allowed_roots, folder],
        watch=[WatchEntry(path=folder, collection=collection)],
    )
    settings = msgspec.structs.replace(settings, ingest=ingest)
    try:
        async with open_adapters(settings) as adapters:
            services = build_services(settings, adapters)
            if await adapters.vector_store.get_collection(collection) is None:
                if not create:
                    raise CliError(
                        f"collection {collection!r} does not exist (pass --create)", EXIT_REFUSED
                    )
                await services.collections.create(collection)
            async with services.jobs.running(), services.watches.running():
                click.echo(f"watching {folder} for {collection}; Ctrl-C stops")
                await asyncio.Event().wait()
    except DependencyUnavailable as exc:
        hint = ": stop the server first, or pass --url" if "in use" in exc.detail else ""
        raise CliError(f"{exc.detail}{hint}", EXIT_SERVER) from None
