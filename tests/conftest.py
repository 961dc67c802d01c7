"""Fixtures shared by every test: settings, a real redis-server, the Ollama and OpenAI
doubles, the app."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from ragmono.adapters.onnx_embedder import OnnxEmbedder
from ragmono.app import create_app
from ragmono.lifespan import Adapters
from ragmono.logging import configure_logging
from ragmono.settings import LoggingSettings, Settings, load_settings
from tests.support.ollama_server import CHAT_MODEL, EMBED_MODEL, OllamaDouble
from tests.support.openai_server import CHAT_MODEL as OPENAI_CHAT_MODEL
from tests.support.openai_server import EMBED_MODEL as OPENAI_EMBED_MODEL
from tests.support.openai_server import OpenAIDouble
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
        environ["RAGMONO_BACKUP__DIR"] = str(data_dir / "backups")  # never ./data of the cwd
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


RedisClients = Callable[..., "Redis"]
"""Opens a client on the session's redis-server: ``open(timeout_s=0.5)``."""


@pytest.fixture
async def redis_clients(redis_server: RedisServer) -> AsyncIterator[RedisClients]:
    """Clients on the session's redis-server as each replica opens its own; all closed after."""
    from ragmono.adapters.redis_client import open_redis

    opened: list[Redis] = []

    def open_client(timeout_s: float = 0.5) -> Redis:
        client = open_redis(redis_server.url, timeout_s=timeout_s)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        await client.aclose()


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


@pytest.fixture(scope="session")
def _ollama_double() -> Iterator[OllamaDouble]:
    double = OllamaDouble()
    double.start()
    yield double
    double.close()


@pytest.fixture
def ollama_server(_ollama_double: OllamaDouble) -> Iterator[OllamaDouble]:
    """The Ollama test double: listening, healthy, counters at zero; restored after the test."""
    _ollama_double.reset()
    _ollama_double.start()
    yield _ollama_double
    _ollama_double.reset()
    _ollama_double.start()


@dataclass(frozen=True)
class OllamaTarget:
    """An Ollama to run adapter contract tests against: the double, or a real server."""

    url: str
    embed_model: str
    chat_model: str
    double: OllamaDouble | None
    """The double (switches, counters), or None for a real Ollama."""


@pytest.fixture(params=["double", "real"])
def ollama_target(request: pytest.FixtureRequest, ollama_server: OllamaDouble) -> OllamaTarget:
    """The Ollama double, and a real Ollama when ``RAGMONO_TEST_OLLAMA_URL`` is set.

    Real models come from ``RAGMONO_TEST_OLLAMA_EMBED_MODEL`` / ``RAGMONO_TEST_OLLAMA_CHAT_MODEL``.
    """
    if request.param == "double":
        return OllamaTarget(ollama_server.url, EMBED_MODEL, CHAT_MODEL, ollama_server)
    url = os.environ.get("RAGMONO_TEST_OLLAMA_URL", "")
    if not url:
        pytest.skip("RAGMONO_TEST_OLLAMA_URL is not set: no real Ollama to check the contract on")
    return OllamaTarget(
        url,
        os.environ.get("RAGMONO_TEST_OLLAMA_EMBED_MODEL", EMBED_MODEL),
        os.environ.get("RAGMONO_TEST_OLLAMA_CHAT_MODEL", CHAT_MODEL),
        None,
    )


@pytest.fixture(scope="session")
def _openai_double() -> Iterator[OpenAIDouble]:
    double = OpenAIDouble()
    double.start()
    yield double
    double.close()


@pytest.fixture
def openai_server(_openai_double: OpenAIDouble) -> Iterator[OpenAIDouble]:
    """The OpenAI-compatible double: listening, healthy, counters at zero; restored after."""
    _openai_double.reset()
    _openai_double.start()
    yield _openai_double
    _openai_double.reset()
    _openai_double.start()


@dataclass(frozen=True)
class OpenAITarget:
    """An OpenAI-compatible server to run adapter contract tests against."""

    base_url: str
    api_key: str
    embed_model: str
    chat_model: str
    double: OpenAIDouble | None
    """The double (switches, counters), or None for a real server."""


@pytest.fixture(params=["double", "real"])
def openai_target(request: pytest.FixtureRequest, openai_server: OpenAIDouble) -> OpenAITarget:
    """The OpenAI double, and a real server when ``RAGMONO_TEST_OPENAI_URL`` is set (its
    ``/v1`` base URL; key and models from ``RAGMONO_TEST_OPENAI_API_KEY``,
    ``RAGMONO_TEST_OPENAI_EMBED_MODEL``, ``RAGMONO_TEST_OPENAI_CHAT_MODEL``)."""
    if request.param == "double":
        return OpenAITarget(
            openai_server.base_url, "", OPENAI_EMBED_MODEL, OPENAI_CHAT_MODEL, openai_server
        )
    url = os.environ.get("RAGMONO_TEST_OPENAI_URL", "")
    if not url:
        pytest.skip("RAGMONO_TEST_OPENAI_URL is not set: no real server to check the contract on")
    return OpenAITarget(
        url,
        os.environ.get("RAGMONO_TEST_OPENAI_API_KEY", ""),
        os.environ.get("RAGMONO_TEST_OPENAI_EMBED_MODEL", OPENAI_EMBED_MODEL),
        os.environ.get("RAGMONO_TEST_OPENAI_CHAT_MODEL", OPENAI_CHAT_MODEL),
        None,
    )
