"""Property-based fuzzing of the whole OpenAPI schema against the app served by granian.

Every operation gets a fixed budget of generated requests (valid and invalid: schemathesis'
positive and negative modes, the same examples every run) with a token holding every scope;
no response may be a 5xx, and each must have a status the operation documents, with the
documented body and content type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from ragmono.app import create_app
from ragmono.settings import load_settings
from tests.support.auth import SERVICE_TOKEN
from tests.support.live_server import LiveServer

ENV = {
    "RAGMONO_PROFILE": "prod",
    "RAGMONO_AUTH__SERVICE_TOKENS": SERVICE_TOKEN,  # every scope
    "RAGMONO_RATE_LIMIT__DEFAULT": "1000000/minute",
    "RAGMONO_SERVER__MAX_BODY_BYTES": "65536",
}

# The schema the served app publishes, built from the same settings at collection time, so
# every operation is its own test. (schemathesis' lazy `from_fixture` does not run on pytest 9.)
schema = schemathesis.openapi.from_dict(
    create_app(load_settings(None, ENV)).openapi_schema.to_schema()
)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live"), ENV).start()
    yield server
    server.stop()


@schema.auth()
class ServiceTokenAuth:
    """Every generated request carries a valid token holding every scope."""

    def get(self, case: Any, context: Any) -> str:
        return SERVICE_TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "X-Service-Token": data}


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is never a fluke
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms(live_server: LiveServer, case: Any) -> None:
    # Every status a response has must be documented for its operation, with its body and
    # content type (status_code_conformance is on). Off: "schema-valid request rejected"
    # (domain rules the schema cannot state, e.g. dimensions must match the embedder, answer
    # 409/422); "schema-violating request accepted" (Litestar renders unions as oneOf, so an
    # integer for `str | int | float` "violates" it, yet msgspec rightly accepts it; and
    # Litestar decodes bodies with strict=False, so `"stream": 0` is read as false).
    case.call_and_validate(
        base_url=live_server.url,
        timeout=10,
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )


def test_a_streamed_oversized_body_is_413_over_real_http(live_server: LiveServer) -> None:
    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        yield b'{"name": "big", "description": "'
        yield b"x" * 70_000
        yield b'"}'

    response = httpx.post(
        f"{live_server.url}/api/v1/collections",
        content=body(),
        headers={"X-Service-Token": SERVICE_TOKEN, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["ratelimit-limit"] == "1000000"


def test_the_served_schema_declares_both_credentials(live_server: LiveServer) -> None:
    document = httpx.get(f"{live_server.url}/schema/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ServiceToken"] == {"type": "apiKey", "name": "X-Service-Token", "in": "header"}
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    operation = document["paths"]["/api/v1/collections"]["get"]
    assert {"ServiceToken": []} in operation["security"]
    health = document["paths"]["/health"]["get"]
    assert "security" not in health
