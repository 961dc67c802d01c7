"""Auth over HTTP: profiles, fail-closed routes, JWKS-signed tokens, and what 401s carry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from ragmono.app import create_app
from ragmono.modules.auth import routes_without_scope, scoped_routes
from ragmono.settings import SettingsError
from tests.conftest import SettingsFactory, app_client
from tests.support.apps import twin_adapters
from tests.support.auth import (
    JWT_SECRET,
    SERVICE_TOKEN,
    JwksServer,
    SigningKey,
    bearer,
    claims,
    hs256,
)


def events(stderr: str) -> list[dict[str, Any]]:
    """The structlog JSON events in captured stderr."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_prod_without_auth_refuses_to_start(make_settings: SettingsFactory) -> None:
    with pytest.raises(SettingsError, match=r"prod.*auth\.service_tokens, auth\.jwt_secret"):
        create_app(make_settings(profile="prod"))


def test_prod_with_any_credential_source_starts(make_settings: SettingsFactory) -> None:
    create_app(make_settings(profile="prod", auth__service_tokens=SERVICE_TOKEN))
    create_app(make_settings(profile="prod", auth__jwt_secret=JWT_SECRET))
    create_app(make_settings(profile="prod", auth__jwks_url="https://idp.test/jwks.json"))


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"auth__service_tokens": "short"}, r"auth\.service_tokens\[0\]"),
        ({"auth__jwt_secret": "short"}, r"auth\.jwt_secret"),
        ({"rate_limit__routes": '{"uploads": "1/minute"}'}, r"rate_limit\.routes\.uploads"),
        ({"rate_limit__routes": '{"ingest": "lots"}'}, r"rate_limit\.routes\.ingest"),
        ({"rate_limit__trusted_proxies": "lb.internal"}, r"rate_limit\.trusted_proxies\[0\]"),
    ],
)
def test_bad_edge_settings_stop_startup_by_name(
    make_settings: SettingsFactory, env: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        create_app(make_settings(**env))


async def test_dev_without_secrets_is_open_and_says_so_once(
    make_settings: SettingsFactory, capsys: Any
) -> None:
    async with app_client(make_settings(), twin_adapters()) as http:
        response = await http.get("/api/v1/collections")
        await http.get("/api/v1/collections")
    assert response.status_code == 200
    assert response.headers["ratelimit-limit"] == "100"  # still limited, per client address
    warnings = [e for e in events(capsys.readouterr().err) if e["event"] == "auth_disabled"]
    assert len(warnings) == 1
    assert warnings[0]["level"] == "warning"


@get("/api/v1/forgotten", sync_to_thread=False)
def forgotten() -> dict[str, str]:
    return {"secret": "data"}


@pytest.mark.parametrize("secured", [True, False], ids=["auth", "open-dev"])
async def test_a_route_without_a_scope_is_denied_to_everyone(
    make_settings: SettingsFactory, capsys: Any, secured: bool
) -> None:
    settings = make_settings(auth__service_tokens=SERVICE_TOKEN) if secured else make_settings()
    app = create_app(settings, adapters=twin_adapters())
    app.register(forgotten)
    assert routes_without_scope(app) == ["GET /api/v1/forgotten"]
    async with AsyncTestClient(app=app) as http:
        response = await http.get("/api/v1/forgotten", headers={"X-Service-Token": SERVICE_TOKEN})
    assert response.status_code == 403
    assert "declares no scope" in response.json()["detail"]
    assert "data" not in response.text
    at_start = [e for e in events(capsys.readouterr().err) if e["event"] == "routes_without_scope"]
    assert at_start[0]["routes"] == ["GET /api/v1/forgotten"]


def test_a_scope_outside_the_vocabulary_is_a_build_error() -> None:
    @get("/api/v1/typo", opt={"scope": "serach"}, sync_to_thread=False)
    def typo() -> None:
        return None

    with pytest.raises(ValueError, match="unknown scope 'serach'"):
        list(scoped_routes(Litestar([typo])))


async def test_unauthorized_keeps_request_id_and_is_logged_as_401(
    make_settings: SettingsFactory, capsys: Any
) -> None:
    settings = make_settings(auth__jwt_secret=JWT_SECRET)
    async with app_client(settings, twin_adapters()) as http:
        response = await http.get("/api/v1/collections", headers={"X-Request-ID": "req-401"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "req-401"
    assert response.json()["request_id"] == "req-401"
    assert response.headers["www-authenticate"].startswith("Bearer")
    logged = capsys.readouterr().err
    access = [e for e in events(logged) if e["event"] == "request"]
    assert access[-1]["status"] == 401
    assert JWT_SECRET not in logged


async def test_jwks_signed_tokens_over_http(make_settings: SettingsFactory) -> None:
    key = SigningKey("es-1", "ES256")
    jwks = JwksServer([key]).start()
    try:
        settings = make_settings(
            auth__jwks_url=jwks.url, auth__issuer="https://issuer.test", auth__audience="ragmono"
        )
        async with app_client(settings, twin_adapters()) as http:
            ok = await http.get("/api/v1/collections", headers=bearer(key.sign(claims())))
            hs = await http.get("/api/v1/collections", headers=bearer(hs256(claims())))
            jwks.stop()
            stranger = SigningKey("es-2", "ES256").sign(claims())
            unknown = await http.get("/api/v1/collections", headers=bearer(stranger))
            cached = await http.get("/api/v1/collections", headers=bearer(key.sign(claims())))
    finally:
        jwks.stop()
    assert ok.status_code == 200
    assert hs.status_code == 401  # no jwt_secret: HS256 is not accepted at all
    assert unknown.status_code == 401
    assert cached.status_code == 200


async def test_an_unreachable_key_set_is_503_with_retry_after(
    make_settings: SettingsFactory,
) -> None:
    jwks = JwksServer([])
    jwks.stop()  # nothing listens on its port
    settings = make_settings(auth__jwks_url=jwks.url)
    async with app_client(settings, twin_adapters()) as http:
        token = SigningKey("k", "ES256").sign(claims())
        response = await http.get("/api/v1/collections", headers=bearer(token))
    assert response.status_code == 503
    assert response.json()["dependency"] == "jwks"
    assert int(response.headers["retry-after"]) >= 1
