"""Security headers on every response, HSTS on demand, CORS from settings, body limits."""

from __future__ import annotations

import pytest

from tests.conftest import SettingsFactory, app_client
from tests.support.apps import twin_adapters
from tests.support.auth import SERVICE_TOKEN

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/api/v1/collections", 200),
        ("GET", "/api/v1/collections/absent", 404),
        ("GET", "/api/v1/no-such-route", 404),
        ("PUT", "/api/v1/collections", 405),
        ("GET", "/schema/openapi.json", 200),
    ],
)
async def test_security_headers_on_every_response(
    make_settings: SettingsFactory, method: str, path: str, status: int
) -> None:
    async with app_client(make_settings(), twin_adapters()) as http:
        response = await http.request(method, path)
    assert response.status_code == status
    for name, value in SECURITY.items():
        assert response.headers[name] == value
    assert "strict-transport-security" not in response.headers


async def test_a_401_carries_them_too_and_hsts_when_enabled(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(auth__service_tokens=SERVICE_TOKEN, server__hsts="true")
    async with app_client(settings, twin_adapters()) as http:
        response = await http.get("/api/v1/collections")
    assert response.status_code == 401
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_cors_preflight_and_exposed_headers(make_settings: SettingsFactory) -> None:
    settings = make_settings(
        cors__allow_origins="https://app.example", auth__service_tokens=SERVICE_TOKEN
    )
    async with app_client(settings, twin_adapters()) as http:
        preflight = await http.options(
            "/api/v1/collections",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "X-Service-Token, Content-Type",
            },
        )
        actual = await http.get(
            "/api/v1/collections",
            headers={"Origin": "https://app.example", "X-Service-Token": SERVICE_TOKEN},
        )
        foreign = await http.get(
            "/api/v1/collections",
            headers={"Origin": "https://evil.example", "X-Service-Token": SERVICE_TOKEN},
        )
    assert preflight.status_code == 204  # no credentials needed for a preflight
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-service-token" in preflight.headers["access-control-allow-headers"].lower()
    assert actual.headers["access-control-allow-origin"] == "https://app.example"
    exposed = actual.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "ratelimit-remaining" in exposed
    assert "access-control-allow-origin" not in foreign.headers


async def test_no_cors_headers_when_no_origin_is_allowed(make_settings: SettingsFactory) -> None:
    async with app_client(make_settings(), twin_adapters()) as http:
        response = await http.get("/health", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in response.headers


async def test_an_oversized_body_is_413_problem_json(make_settings: SettingsFactory) -> None:
    settings = make_settings(server__max_body_bytes="2048")
    async with app_client(settings, twin_adapters()) as http:
        big = await http.post(
            "/api/v1/collections", json={"name": "docs", "description": "x" * 4096}
        )
        small = await http.post("/api/v1/collections", json={"name": "docs"})
    assert big.status_code == 413
    assert big.headers["content-type"].startswith("application/problem+json")
    assert big.json()["title"] == "Payload too large"
    assert small.status_code == 201
