"""Secrets passed to a log call by mistake never reach the log line."""

from __future__ import annotations

import json

import pytest
import structlog

from ragmono.logging import configure_logging, redact
from ragmono.settings import LoggingSettings


def test_values_under_secret_like_keys_are_blanked_in_any_case() -> None:
    event = {"event": "x", "Authorization": "Bearer abc", "api_key": "k", "db_password": "p"}
    event |= {"path": "/api/v1/search", "status": 200}
    out = redact(None, "info", dict(event))
    assert out["Authorization"] == out["api_key"] == out["db_password"] == "***"
    assert out["path"] == "/api/v1/search"
    assert out["status"] == 200


def test_a_logged_token_is_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(level="info", format="json"), cache_loggers=False)
    structlog.get_logger("test").info("login", user="ada", service_token="s3cr3t-value")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["service_token"] == "***"
    assert line["user"] == "ada"
    assert "s3cr3t-value" not in json.dumps(line)
