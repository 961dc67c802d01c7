"""Probes, request ids and the error contract over HTTP."""

from __future__ import annotations

from typing import Any

from litestar import get

from ragmono.settings import Settings
from tests.conftest import app_client


async def test_health_is_ok_and_echoes_the_request_id(client: Any) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"] == "abc-123"


async def test_a_request_id_is_generated_when_missing_or_unsafe(client: Any) -> None:
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await client.get("/health", headers={"X-Request-ID": "bad id\r\nx: y"})
    assert hostile.headers["x-request-id"] != "bad id\r\nx: y"


async def test_ready_lists_every_dependency(client: Any) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True
    names = {d["name"]: d for d in body["dependencies"]}
    assert names["qdrant"]["mode"] == "embedded"
    assert names["embedder"]["mode"] == "local"


async def test_unknown_route_is_404_problem_with_request_id(client: Any) -> None:
    response = await client.get("/api/v1/nothing-here", headers={"X-Request-ID": "r-404"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["x-request-id"] == "r-404"
    assert response.json()["request_id"] == "r-404"


async def test_unexpected_error_is_500_with_request_id_and_no_trace(
    settings: Settings, capsys: Any
) -> None:
    async with app_client(settings) as http:

        @get("/boom", sync_to_thread=False)
        def boom() -> None:
            raise RuntimeError("secret internals")

        http.app.register(boom)
        response = await http.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    body = response.json()
    assert body["request_id"] == "req-500"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    logged = capsys.readouterr().err
    assert logged.count('"event": "unhandled_error"') == 1
    assert "secret internals" in logged
