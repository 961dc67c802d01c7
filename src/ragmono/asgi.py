"""ASGI entry point for granian (``ragmono.asgi:app`` as a factory): settings from the env."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from litestar import Litestar

from ragmono.app import create_app
from ragmono.logging import configure_logging
from ragmono.settings import load_settings

__all__ = ["app", "freeze_startup_objects"]


def app() -> Litestar:
    """Load settings (``RAGMONO_CONFIG`` or config/ragmono.toml, then env) and build the app."""
    config = os.environ.get("RAGMONO_CONFIG") or "config/ragmono.toml"
    settings = load_settings(Path(config) if Path(config).exists() else None, os.environ)
    configure_logging(settings.logging)
    application = create_app(settings)
    application.on_startup.append(freeze_startup_objects)
    return application


def freeze_startup_objects() -> None:
    """Keep what startup built (app, models, adapters) out of the GC's full collections.

    A full collection walks every tracked object: during a bulk ingest one took 190 ms and
    stalled every request (``benchmarks/engine_responsiveness.py``). Objects that live as long
    as the process never need collecting. Served processes only: tests build many apps.
    """
    gc.freeze()
