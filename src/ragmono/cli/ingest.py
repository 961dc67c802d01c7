"""``ragmono ingest``: the command; the work is in :mod:`ragmono.cli.ingest_files`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .settings_loader import load_cli_settings

__all__ = ["ingest"]


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--collection", "-c", required=True, help="Collection to ingest into.")
@click.option("--create", is_flag=True, help="Create the collection if it does not exist.")
@click.option("--url", help="Send the files to a running server (e.g. http://127.0.0.1:8000).")
@click.option("--token", envvar="RAGMONO_TOKEN", help="X-Service-Token for --url.")
@click.option("--data-dir", help="Data directory (storage.data_dir) for in-process ingest.")
@click.option("--config", "config", help="TOML settings file (default: config/ragmono.toml).")
def ingest(
    path: Path,
    collection: str,
    create: bool,
    url: str | None,
    token: str | None,
    data_dir: str | None,
    config: str | None,
) -> None:
    """Ingest a file or a directory (.txt .md .html .pdf .docx) with a progress bar.

    Without --url this runs in this process on the data directory, which the embedded store
    lets only one process open: stop the server first, or use --url to go through it.
    """
    import asyncio

    import httpx

    from .ingest_files import ingest_local, ingest_remote

    if url:
        headers = {"X-Service-Token": token} if token else {}

        async def remote() -> int:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
                return await ingest_remote(http, path, collection, create=create)

        failed = asyncio.run(remote())
    else:
        overrides = {"RAGMONO_STORAGE__DATA_DIR": data_dir} if data_dir else {}
        settings = load_cli_settings(config, overrides)
        from ragmono.logging import configure_logging

        configure_logging(settings.logging, cache_loggers=False)  # logs on stderr, bar on stdout
        failed = asyncio.run(ingest_local(settings, path, collection, create=create))
    sys.exit(1 if failed else 0)
