"""ASGI entry point for granian (``ragmono.asgi:app`` as a factory): settings from the env."""

from __future__ import annotations

import os
from pathlib import Path

from litestar import Litestar

from ragmono.app import create_app
from ragmono.logging import configure_logging
from ragmono.settings import load_settings


def app() -> Litestar:
    """Load settings (``RAGMONO_CONFIG`` or config/ragmono.toml, then env) and build the app."""
    config = os.environ.get("RAGMONO_CONFIG") or "config/ragmono.toml"
    settings = load_settings(Path(config) if Path(config).exists() else None, os.environ)
    configure_logging(settings.logging)
    return create_app(settings)
