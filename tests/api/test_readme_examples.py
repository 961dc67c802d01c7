"""README's OpenAI SDK, MCP client and OpenAI-compatible upstream examples, run as written
(only the URL and the token swapped for this test's server)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from ragmono.app import create_app
from ragmono.settings import load_settings
from tests.support.asgi import asgi_client
from tests.support.auth import SERVICE_TOKEN
from tests.support.corpus import HANDBOOK, documents_body
from tests.support.live_server import LiveServer
from tests.support.openai_server import OpenAIDouble

README = Path(__file__).resolve().parents[2] / "README.md"
ENV = {
    "RAGMONO_PROFILE": "prod",
    "RAGMONO_AUTH__SERVICE_TOKENS": SERVICE_TOKEN,
    "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
}


def block(heading: str, lang: str, index: int = 0) -> str:
    """The ``index``-th fenced ``lang`` block of README's section ``## heading``."""
    section = README.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", section, re.DOTALL)[index]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``ragmono serve`` with the README's collection ``docs`` (the handbook corpus)."""
    live = LiveServer(tmp_path_factory.mktemp("readme"), ENV).start()
    try:
        headers = {"X-Service-Token": SERVICE_TOKEN}
        url = f"{live.url}/api/v1/collections"
        assert httpx.post(url, json={"name": "docs"}, headers=headers).status_code == 201
        ingested = httpx.post(
            f"{url}/docs/documents", json=documents_body(HANDBOOK), headers=headers, timeout=120
        )
        assert ingested.status_code == 200, ingested.text
        yield live
    finally:
        live.stop()


def for_server(code: str, server: LiveServer) -> str:
    return code.replace("http://127.0.0.1:8000", server.url).replace(
        "<service token or JWT>", SERVICE_TOKEN
    )


def test_the_openai_sdk_example(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    exec(for_server(block("Use it from the OpenAI SDK", "python"), server), {})
    printed = capsys.readouterr().out
    assert "['rag/docs']" in printed
    assert printed.count("30 minutes. [1]") == 2  # whole, then streamed
    assert "1 it/password.md Resetting your password." in printed
    assert printed.rstrip().endswith("384")


def test_the_mcp_examples(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> None:
    exec(for_server(block("Use it from an MCP client", "python"), server), {})
    printed = capsys.readouterr().out
    assert "'list_collections', 'search', 'ask', 'get_document', 'ingest_text'" in printed
    assert "30 minutes. [1]" in printed

    config = json.loads(for_server(block("Use it from an MCP client", "json"), server))
    entry = config["mcpServers"]["ragmono"]

    async def tools() -> list[str]:
        async with (
            httpx.AsyncClient(headers=entry["headers"]) as http,
            streamable_http_client(entry["url"], http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return [t.name for t in (await session.list_tools()).tools]

    assert "ask" in asyncio.run(tools())


async def test_the_openai_compatible_upstream_config(
    tmp_path: Path, openai_server: OpenAIDouble
) -> None:
    config = tmp_path / "ragmono.toml"
    config.write_text(block("Use any OpenAI-compatible model server", "toml"))
    openai_server.models = {"qwen2.5-7b-instruct": "chat", "nomic-embed-text": "embed"}
    openai_server.embed_dims = 768
    settings = load_settings(
        config,
        {
            "RAGMONO_OPENAI__BASE_URL": openai_server.base_url,  # the double, not llama-server
            "RAGMONO_STORAGE__DATA_DIR": str(tmp_path / "data"),
            "RAGMONO_BACKUP__DIR": str(tmp_path / "backups"),
        },
    )
    async with asgi_client(create_app(settings)) as api:
        assert (await api.post("/api/v1/collections", json={"name": "docs"})).is_success
        ingested = await api.post("/api/v1/collections/docs/documents", json=documents_body())
        assert ingested.status_code == 200, ingested.text
        answer = (
            await api.post(
                "/api/v1/query", json={"query": "When is the fridge emptied?", "collection": "docs"}
            )
        ).json()
    assert (answer["generator"], answer["model"]) == ("openai", "qwen2.5-7b-instruct")
    assert answer["degraded"] is False
    assert openai_server.last_request["model"] == "qwen2.5-7b-instruct"
    assert openai_server.calls["/v1/embeddings"] >= 2  # the documents, then the question
