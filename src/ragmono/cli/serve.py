"""``ragmono serve``: check the edge settings, then serve the API with granian."""

from __future__ import annotations

import asyncio
import os
import sys

import click

from ragmono.settings import Settings, SettingsError

from .settings_loader import load_cli_settings

__all__ = ["serve"]


@click.command()
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
    settings = load_cli_settings(config, overrides)
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


def _check_edge(settings: Settings) -> None:
    """Stop with a clear message before granian starts when auth or rate limits are misset."""
    from ragmono.lifespan import build_edge

    try:
        edge = build_edge(settings)
    except SettingsError as exc:
        click.echo(f"ragmono: {exc}", err=True)
        sys.exit(2)
    asyncio.run(edge.aclose())
