"""structlog set-up: JSON lines off a TTY, readable lines on one; request id from contextvars."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

__all__ = ["LogConfig", "LogOptions", "configure_logging", "redact"]


class LogOptions(Protocol):
    """What :func:`configure_logging` reads (the ``logging`` settings section has both)."""

    @property
    def level(self) -> str:
        """``debug``, ``info``, ``warning`` or ``error``: the lowest level logged."""
        ...

    @property
    def format(self) -> str:
        """``auto`` (console on a TTY, JSON otherwise), ``json`` or ``console``."""
        ...


@dataclass(frozen=True, slots=True)
class LogConfig:
    """Log options as plain values, for a process that has no settings (the engine worker)."""

    level: str = "info"
    format: str = "auto"


_SECRET_KEYS = ("token", "secret", "password", "authorization", "api_key")


@functools.lru_cache(maxsize=1024)
def _is_secret(key: str) -> bool:
    # Cached: an event has about ten keys from a small fixed set, and this runs on every line.
    return any(s in key.lower() for s in _SECRET_KEYS)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Blank out values whose key names a secret, wherever a caller passed one by mistake."""
    for key in event:
        if _is_secret(key):
            event[key] = "***"
    return event


def _stderr_logger(*_: Any) -> structlog.PrintLogger:
    # Resolved per logger, not at configure time, so a replaced sys.stderr is honoured.
    return structlog.PrintLogger(sys.stderr)


def configure_logging(settings: LogOptions, *, cache_loggers: bool = True) -> None:
    """Configure structlog and the stdlib root logger once per process.

    Tests pass ``cache_loggers=False`` so each log call finds the current (captured) stderr.
    """
    level = getattr(logging, settings.level.upper())
    as_json = settings.format == "json" or (settings.format == "auto" and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=cache_loggers,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr, force=True)
    # httpx logs every outbound request at INFO; our own events already say what matters.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
