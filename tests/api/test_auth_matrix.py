"""Every /api and /v1 route x every kind of credential -> the right status.

The routes come from the app's own route table, so a route added anywhere is in the matrix
the moment it is registered: it cannot be forgotten, and one without a declared scope fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from ragmono.app import create_app
from ragmono.modules.auth import ALL_SCOPES, routes_without_scope, scoped_routes
from ragmono.settings import Settings, load_settings
from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET, OTHER_SECRET, bearer, claims, hs256

IN_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")

SERVICE_TOKENS = {scope: f"{scope}-service-token-0123456789abcdefghijkl" for scope in ALL_SCOPES}


def matrix_settings(data_dir: Path | None = None) -> Settings:
    environ = {
        "RAGMONO_PROFILE": "prod",
        "RAGMONO_AUTH__SERVICE_TOKENS": json.dumps([f"{t}:{s}" for s, t in SERVICE_TOKENS.items()]),
        "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
        "RAGMONO_AUTH__ISSUER": ISSUER,
        "RAGMONO_AUTH__AUDIENCE": AUDIENCE,
        "RAGMONO_RATE_LIMIT__DEFAULT": "100000/minute",
        "RAGMONO_LOGGING__FORMAT": "json",
        "RAGMONO_COMPAT__SEED_API": "true",  # the seed's /api/v1/rag routes are in the matrix too
    }
    if data_dir is not None:
        environ["RAGMONO_STORAGE__DATA_DIR"] = str(data_dir)
        environ["RAGMONO_BACKUP__DIR"] = str(data_dir / "backups")  # not ./data of the cwd
    return load_settings(None, environ)


ROUTES = list(scoped_routes(create_app(matrix_settings())))
_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_SAMPLE = {"int": "1", "uuid": "00000000-0000-4000-8000-000000000000", "float": "1.5"}


def concrete(path: str) -> str:
    """The route path with a plausible value in each parameter."""
    return _PARAM.sub(lambda m: _SAMPLE.get(m.group(2), "matrix-probe"), path)


def others(scope: str) -> list[str]:
    return sorted(ALL_SCOPES - {scope})


Headers = Callable[[str], dict[str, str]]
CASES: dict[str, tuple[Headers, int | None]] = {
    "no_credentials": (lambda s: {}, 401),
    "malformed": (lambda s: {"Authorization": "Bearer not.a-jwt"}, 401),
    "wrong_scheme": (lambda s: {"Authorization": f"Basic {JWT_SECRET}"}, 401),
    "unknown_service_token": (lambda s: {"X-Service-Token": "x" * 43}, 401),
    "valid_token_plus_bad_bearer": (
        lambda s: {"X-Service-Token": SERVICE_TOKENS[s], **bearer("not-a-jwt")},
        401,
    ),
    "bad_signature": (lambda s: bearer(hs256(claims([s]), OTHER_SECRET)), 401),
    "expired": (lambda s: bearer(hs256(claims([s], ttl_s=-3600))), 401),
    "wrong_issuer": (lambda s: bearer(hs256(claims([s], issuer="https://evil.test"))), 401),
    "wrong_audience": (lambda s: bearer(hs256(claims([s], audience="other-api"))), 401),
    "missing_scope": (lambda s: bearer(hs256(claims(others(s)))), 403),
    "missing_scope_service_token": (
        lambda s: {"X-Service-Token": SERVICE_TOKENS[others(s)[0]]},
        403,
    ),
    "valid_service_token": (lambda s: {"X-Service-Token": SERVICE_TOKENS[s]}, None),
    "valid_jwt": (lambda s: bearer(hs256(claims([s]))), None),
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def matrix_client(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[AsyncTestClient[Any]]:
    """The real app (real adapters) with auth configured as in production."""
    settings = matrix_settings(tmp_path_factory.mktemp("matrix"))
    async with AsyncTestClient(app=create_app(settings)) as http:
        yield http


def test_the_matrix_covers_routes() -> None:
    assert len(ROUTES) >= 5  # the collections API at least: the route table was read


def test_every_api_route_declares_a_known_scope() -> None:
    assert routes_without_scope(create_app(matrix_settings())) == []


@IN_MODULE_LOOP
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    ("method", "path", "scope"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
async def test_route_answers_credentials_rightly(
    matrix_client: AsyncTestClient[Any], method: str, path: str, scope: str, case: str
) -> None:
    headers_for, expected = CASES[case]
    response = await matrix_client.request(method, concrete(path), headers=headers_for(scope))
    if expected is None:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
        return
    assert response.status_code == expected, response.text
    if path.startswith("/v1/"):  # the OpenAI-compatible face answers in OpenAI's error body
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["error"]["type"] in ("authentication_error", "permission_error")
    else:
        assert response.headers["content-type"].startswith("application/problem+json")
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["x-request-id"]


@IN_MODULE_LOOP
async def test_the_openapi_document_lists_the_same_routes(
    matrix_client: AsyncTestClient[Any],
) -> None:
    paths = (await matrix_client.get("/schema/openapi.json")).json()["paths"]
    documented = {
        (method.upper(), path)
        for path, item in paths.items()
        if path.startswith(("/api/", "/v1/"))
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    table = {(m, _PARAM.sub(r"{\1}", p)) for m, p, _ in ROUTES}
    assert documented == table
