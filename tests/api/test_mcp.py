"""The official ``mcp`` client (ClientSession over streamable HTTP) against a live server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.support.auth import SERVICE_TOKEN
from tests.support.live_server import LiveServer

SEARCH_ONLY = "search-only-token-0123456789abcdefghijklmn"
ENV = {
    "RAGMONO_PROFILE": "prod",
    "RAGMONO_AUTH__SERVICE_TOKENS": f"{SERVICE_TOKEN},{SEARCH_ONLY}:search",
    "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
}
TOOLS = {"list_collections", "search", "ask", "get_document", "ingest_text"}
POLICY = (
    "Parking policy. Visitors park on level minus two of the garage. Employee badges open "
    "the barrier between 6 am and 10 pm; after that, call the security desk on extension 4410."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("mcp"), ENV).start()
    try:
        created = httpx.post(
            f"{live.url}/api/v1/collections",
            json={"name": "office", "description": "office rules"},
            headers={"X-Service-Token": SERVICE_TOKEN},
        )
        assert created.status_code == 201, created.text
        yield live
    finally:
        live.stop()


@asynccontextmanager
async def session(server: LiveServer, token: str = SERVICE_TOKEN) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(f"{server.url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as opened,
    ):
        await opened.initialize()
        yield opened


def payload(result: Any) -> Any:
    assert not result.isError, result.content
    return json.loads(result.content[0].text)


async def test_the_tools_are_listed_and_each_one_works(server: LiveServer) -> None:
    async with session(server) as mcp:
        listed = await mcp.list_tools()
        assert {t.name for t in listed.tools} == TOOLS
        ingested = payload(
            await mcp.call_tool(
                "ingest_text",
                {
                    "collection": "office",
                    "text": POLICY,
                    "document_id": "parking",
                    "source": "office/parking.md",
                    "metadata": {"team": "facilities"},
                },
            )
        )
        assert ingested["created"] == 1
        collections = (await mcp.call_tool("list_collections", {})).structuredContent
        assert collections is not None
        assert collections["result"] == [
            {"name": "office", "description": "office rules", "embedder": "local/all-MiniLM-L6-v2",
             "chunks": 1}
        ]  # fmt: skip
        found = payload(
            await mcp.call_tool(
                "search",
                {
                    "query": "where do visitors park",
                    "collection": "office",
                    "top_k": 3,
                    "filter": {"must": [{"key": "metadata.team", "match": "facilities"}]},
                },
            )
        )
        assert found["results"][0]["document_id"] == "parking"
        answer = payload(
            await mcp.call_tool(
                "ask", {"question": "Where do visitors park?", "collection": "office"}
            )
        )
        assert "level minus two" in answer["answer"]
        assert answer["citations"] == [1]
        assert answer["sources"][0]["document_id"] == "parking"
        document = payload(
            await mcp.call_tool("get_document", {"collection": "office", "document_id": "parking"})
        )
        assert document["document"]["source"] == "office/parking.md"
        assert "extension 4410" in document["items"][0]["text"]


async def test_a_tool_without_its_scope_is_an_mcp_error(server: LiveServer) -> None:
    async with session(server, SEARCH_ONLY) as mcp:
        refused = await mcp.call_tool("ingest_text", {"collection": "office", "text": "x"})
        assert refused.isError
        assert "scope 'ingest'" in refused.content[0].text
        asked = await mcp.call_tool("ask", {"question": "parking?", "collection": "office"})
        assert asked.isError
        assert payload(await mcp.call_tool("list_collections", {}))["name"] == "office"


async def test_domain_errors_are_mcp_errors_naming_the_problem(server: LiveServer) -> None:
    async with session(server) as mcp:
        missing = await mcp.call_tool("search", {"query": "x", "collection": "nothing"})
        assert missing.isError
        assert "'nothing' does not exist" in missing.content[0].text
        bad = await mcp.call_tool(
            "search",
            {"query": "x", "collection": "office", "filter": {"must": [{"key": "color"}]}},
        )
        assert bad.isError
        assert "filter" in bad.content[0].text


def test_mcp_without_credentials_is_401(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.url}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
