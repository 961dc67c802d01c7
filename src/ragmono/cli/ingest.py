"""``ragmono ingest``: the command; the work is in `.ingest_files` and `.ingest_remote`."""

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
@click.option("--verbose", "-v", is_flag=True, help="Name every skipped file (default: 20).")
@click.option(
    "--watch",
    is_flag=True,
    help="Keep the collection in step with the folder: with --url the server watches it "
    "(kept across restarts); without, this process does until Ctrl-C.",
)
def ingest(
    path: Path,
    collection: str,
    create: bool,
    url: str | None,
    token: str | None,
    data_dir: str | None,
    config: str | None,
    verbose: bool,
    watch: bool,
) -> None:
    """Ingest a file or a directory (.txt .md .rst .html .pdf .docx) with a progress bar.

    Without --url this runs in this process on the data directory, which the embedded store
    lets only one process open: stop the server first, or use --url to go through it.
    Files of other types are skipped and named.
    """
    import asyncio

    if watch:
        _watch(path, collection, create, url, token, data_dir, config)
        return
    if url:
        from .ingest_remote import ingest_remote
        from .remote import connect

        async def remote() -> int:
            async with connect(url, token) as http:
                return await ingest_remote(http, path, collection, create=create, verbose=verbose)

        failed = asyncio.run(remote())
    else:
        from .ingest_files import ingest_local

        overrides = {"RAGMONO_STORAGE__DATA_DIR": data_dir} if data_dir else {}
        settings = load_cli_settings(config, overrides)
        from ragmono.logging import configure_logging

        configure_logging(settings.logging, cache_loggers=False)  # logs on stderr, bar on stdout
        failed = asyncio.run(
            ingest_local(settings, path, collection, create=create, verbose=verbose)
        )
    sys.exit(1 if failed else 0)


def _watch(
    path: Path,
    collection: str,
    create: bool,
    url: str | None,
    token: str | None,
    data_dir: str | None,
    config: str | None,
) -> None:
    import asyncio

    from .errors import EXIT_USAGE, CliError
    from .ingest_watch import watch_local, watch_remote

    if not path.is_dir():
        raise CliError(f"--watch needs a folder, not {path}", EXIT_USAGE)
    path = path.resolve()
    if url:
        from .remote import connect

        async def remote() -> None:
            async with connect(url, token) as http:
                await watch_remote(http, path, collection, create=create)

        asyncio.run(remote())
        return
    overrides = {"RAGMONO_STORAGE__DATA_DIR": data_dir} if data_dir else {}
    settings = load_cli_settings(config, overrides)
    from ragmono.logging import configure_logging

    configure_logging(settings.logging, cache_loggers=False)
    try:
        asyncio.run(watch_local(settings, path, collection, create=create))
    except KeyboardInterrupt:
        click.echo("stopped watching")
