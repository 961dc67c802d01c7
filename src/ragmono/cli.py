"""The ``ragmono`` command: serve, and the operational subcommands added by each module."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import click

from ragmono.settings import Settings, SettingsError, load_settings

DEFAULT_CONFIG = Path("config/ragmono.toml")


def load_cli_settings(config: str | None, overrides: dict[str, str]) -> Settings:
    """Settings for a subcommand (exits 2 with the message on a bad setting)."""
    return _load(config, overrides)


def _load(config: str | None, overrides: dict[str, str]) -> Settings:
    path = Path(config) if config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    environ = {**os.environ, **overrides}
    try:
        return load_settings(path, environ)
    except SettingsError as exc:
        click.echo(f"ragmono: {exc}", err=True)
        sys.exit(2)


@click.group()
@click.version_option(package_name="ragmono")
def main() -> None:
    """ragmono: ingest documents, answer questions over them with citations."""


@main.command()
@click.option("--host", help="Interface to bind (server.host).")
@click.option("--port", type=int, help="TCP port (server.port).")
@click.option("--data-dir", help="Data directory (storage.data_dir).")
@click.option("--config", "config", help="TOML settings file (default: config/ragmono.toml).")
def serve(host: str | None, port: int | None, data_dir: str | None, config: str | None) -> None:
    """Serve the API with granian."""
    overrides = {
        key: value
        for key, value in (
            ("RAGMONO_SERVER__HOST", host),
            ("RAGMONO_SERVER__PORT", str(port) if port is not None else None),
            ("RAGMONO_STORAGE__DATA_DIR", data_dir),
        )
        if value is not None
    }
    settings = _load(config, overrides)
    _check_edge(settings)
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    # granian imports the app in its worker; the factory re-reads the same settings there.
    os.environ.update(overrides)
    if config:
        os.environ["RAGMONO_CONFIG"] = config
    Server(
        "ragmono.asgi:app",
        address=settings.server.host,
        port=settings.server.port,
        interface=Interfaces.ASGI,
        workers=settings.server.workers,
        factory=True,
        log_level=LogLevels(settings.logging.level),  # granian's own lines follow ours
    ).serve()


@main.command()
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
    """Ingest a file or a directory (.txt .md .rst .html .pdf .docx) with a progress bar.

    Without --url this runs in this process on the data directory, which the embedded store
    lets only one process open: stop the server first, or use --url to go through it.
    """
    import asyncio

    import httpx

    from ragmono.cli_ingest import ingest_local, ingest_remote

    if url:
        headers = {"X-Service-Token": token} if token else {}

        async def remote() -> int:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
                return await ingest_remote(http, path, collection, create=create)

        failed = asyncio.run(remote())
    else:
        overrides = {"RAGMONO_STORAGE__DATA_DIR": data_dir} if data_dir else {}
        settings = _load(config, overrides)
        from ragmono.logging import configure_logging

        configure_logging(settings.logging, cache_loggers=False)  # logs on stderr, bar on stdout
        failed = asyncio.run(ingest_local(settings, path, collection, create=create))
    sys.exit(1 if failed else 0)


def _check_edge(settings: Settings) -> None:
    """Stop with a clear message before granian starts when auth or rate limits are misset."""
    from ragmono.lifespan import build_edge

    try:
        edge = build_edge(settings)
    except SettingsError as exc:
        click.echo(f"ragmono: {exc}", err=True)
        sys.exit(2)
    asyncio.run(edge.aclose())


@main.group()
def token() -> None:
    """Make secrets and bearer tokens for the API."""


@token.command("secret")
def token_secret() -> None:
    """Print a new random 32-byte secret (for auth.jwt_secret or auth.service_tokens)."""
    from ragmono.modules.auth import new_secret

    click.echo(new_secret())


@token.command("create")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["search", "query", "ingest", "admin"]),
    help="A scope the token holds (repeat for several).",
)
@click.option("--ttl", default="1h", show_default=True, help="Lifetime: 900, 15m, 1h, 7d.")
@click.option("--sub", "subject", default="", help="Subject (sub claim): who the token is for.")
@click.option("--config", "config", help="TOML settings file (default: config/ragmono.toml).")
def token_create(scopes: tuple[str, ...], ttl: str, subject: str, config: str | None) -> None:
    """Print an HS256 JWT signed with auth.jwt_secret (iss and aud from the settings)."""
    from ragmono.modules.auth import issue_token, parse_duration

    settings = _load(config, {})
    if not settings.auth.jwt_secret:
        click.echo(
            "ragmono: auth.jwt_secret is not set (`ragmono token secret` prints one)", err=True
        )
        sys.exit(2)
    try:
        ttl_s = parse_duration(ttl)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ttl") from None
    click.echo(
        issue_token(
            settings.auth.jwt_secret,
            scopes,
            ttl_s=ttl_s,
            subject=subject,
            issuer=settings.auth.issuer,
            audience=settings.auth.audience,
        )
    )


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Load test (benchmarks/run.py, as `make bench`); run from a source checkout."""
    if not Path("benchmarks/run.py").is_file():
        click.echo(
            "ragmono: bench runs from a source checkout (no benchmarks/run.py here)", err=True
        )
        sys.exit(2)
    # The user's own options to our own interpreter and module: nothing untrusted.
    sys.exit(subprocess.call([sys.executable, "-m", "benchmarks.run", *args]))  # noqa: S603


def _register_subcommands() -> None:
    from ragmono.cli_backup import backup
    from ragmono.cli_migrate import migrate

    main.add_command(migrate)
    main.add_command(backup)


_register_subcommands()
