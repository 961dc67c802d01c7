"""Fixtures shared by every test: settings, a real redis-server, the app over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.app import create_app
from ragmono.lifespan import Adapters
from ragmono.logging import configure_logging
from ragmono.settings import LoggingSettings, Settings, load_settings
from tests.support.redis_server import RedisServer

SettingsFactory = Callable[..., Settings]


@pytest.fixture(autouse=True, scope="session")
def _json_logs() -> None:
    """Log as the deployed service does: JSON lines on stderr."""
    configure_logging(LoggingSettings(level="info", format="json"), cache_loggers=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data directory for this test."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_settings(data_dir: Path) -> SettingsFactory:
    """Settings with this test's data directory; keyword args are RAGMONO_* env overrides."""

    def factory(**env: str) -> Settings:
        environ = {"RAGMONO_STORAGE__DATA_DIR": str(data_dir), "RAGMONO_LOGGING__FORMAT": "json"}
        environ.update({f"RAGMONO_{k.upper()}": v for k, v in env.items()})
        return load_settings(None, environ)

    return factory


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """Default settings on this test's data directory (embedded store, local embedder)."""
    return make_settings()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on a free port, shared by the session; tests may stop/start it."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def local_embedder() -> Iterator[OnnxEmbedder]:
    """The real local embedder, loaded once per session (loading costs about a second)."""
    embedder = OnnxEmbedder()
    yield embedder
    asyncio.run(embedder.close())


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[object]]:
    """The real app (embedded Qdrant, local embedder) with its lifespan, spoken to over HTTP."""
    async with AsyncTestClient(app=create_app(settings)) as http:
        yield http  # type: ignore[misc]


def app_client(settings: Settings, adapters: Adapters | None = None) -> AsyncTestClient[object]:
    """A test client for an app built from ``settings`` (and optional adapter twins)."""
    return AsyncTestClient(app=create_app(settings, adapters=adapters))  # type: ignore[return-value]
