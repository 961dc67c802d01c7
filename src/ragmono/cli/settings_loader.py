"""The settings every subcommand loads: a TOML file, the environment, the command's options."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ragmono.settings import Settings, SettingsError, load_settings

__all__ = ["DEFAULT_CONFIG", "load_cli_settings"]

DEFAULT_CONFIG = Path("config/ragmono.toml")


def load_cli_settings(config: str | None, overrides: dict[str, str]) -> Settings:
    """Settings for a subcommand (exits 2 with the message on a bad setting)."""
    path = Path(config) if config else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    environ = {**os.environ, **overrides}
    try:
        return load_settings(path, environ)
    except SettingsError as exc:
        click.echo(f"ragmono: {exc}", err=True)
        sys.exit(2)
