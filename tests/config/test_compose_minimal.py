"""``config/compose/minimal.yml``: ragmono + Redis, health checks, volumes, loopback-only port;
its ragmono environment served for real against a real Redis, its health check run for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from ragmono.settings import load_settings
from tests.support.live_server import LiveServer
from tests.support.redis_server import RedisServer

MINIMAL = Path(__file__).resolve().parents[2] / "config" / "compose" / "minimal.yml"
DOC: dict[str, Any] = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = DOC["services"]
RAGMONO_ENV = {k: str(v) for k, v in SERVICES["ragmono"]["environment"].items()}


def test_two_services_with_health_checks_and_named_volumes() -> None:
    assert set(SERVICES) == {"ragmono", "redis"}
    for name, service in SERVICES.items():
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name
        for volume in service["volumes"]:
            assert volume.split(":")[0] in DOC["volumes"], f"{name}: {volume}"
    assert SERVICES["ragmono"]["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert SERVICES["ragmono"]["build"] == {"context": "../..", "dockerfile": "Dockerfile"}


def test_the_open_dev_api_is_published_on_loopback_only() -> None:
    settings = load_settings(None, RAGMONO_ENV)
    assert settings.profile == "dev"
    assert all(port.startswith("127.0.0.1:") for port in SERVICES["ragmono"]["ports"])
    assert urlsplit(settings.redis.url).hostname == "redis"
    assert urlsplit(settings.redis.url).port == 6379


def test_ragmono_with_this_environment_uses_redis_and_passes_its_health_check(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    env = {**RAGMONO_ENV, "RAGMONO_REDIS__URL": redis_server.url}  # the test's Redis for `redis`
    server = LiveServer(tmp_path, env).start()
    try:
        ready = httpx.get(f"{server.url}/ready", timeout=30)
        assert ready.status_code == 200, ready.text
        redis = [d for d in ready.json()["dependencies"] if "redis" in d["name"] + d["mode"]]
        assert redis, ready.text  # without redis.url there is no such dependency
        assert all(d["reachable"] for d in redis)
        test = SERVICES["ragmono"]["healthcheck"]["test"]
        assert test[:2] == ["CMD", "python"]
        script = test[-1].replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
        check = subprocess.run([sys.executable, *test[2:-1], script], timeout=30, check=False)
        assert check.returncode == 0
    finally:
        server.stop()
