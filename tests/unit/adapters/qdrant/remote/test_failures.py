"""Which qdrant-client errors open a breaker, and which become NotFound or Conflict."""

from __future__ import annotations

import json

import grpc  # type: ignore[import-untyped]
import httpx
import pytest
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from ragmono.adapters.qdrant.remote.checks import parse_version, version_problem
from ragmono.adapters.qdrant.remote.cluster import to_read_consistency
from ragmono.adapters.qdrant.remote.failures import is_failure, never_sent, to_domain_error
from ragmono.adapters.qdrant.remote.nodes import node_label
from ragmono.errors import Conflict, DependencyUnavailable, NotFound, RagmonoError


def http_error(status: int, message: str) -> UnexpectedResponse:
    body = json.dumps({"status": {"error": message}, "time": 0}).encode()
    return UnexpectedResponse(status, "x", body, httpx.Headers())


def rpc_error(code: grpc.StatusCode, details: str = "") -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, None, None, details=details)


REFUSED = ResponseHandlingException(httpx.ConnectError("All connection attempts failed"))


@pytest.mark.parametrize(
    ("exc", "counts"),
    [
        (REFUSED, True),
        (ResponseHandlingException(httpx.ReadTimeout("slow")), True),
        (TimeoutError(), True),
        (ConnectionResetError(), True),
        (http_error(503, "Service unavailable"), True),
        (http_error(500, "Service internal error"), True),
        (http_error(429, "Too many requests"), True),
        (http_error(408, "Timeout"), True),
        (http_error(404, "Not found: Collection `x` doesn't exist!"), False),
        (http_error(409, "Wrong input: Collection `x` already exists!"), False),
        (http_error(400, "Wrong input: Vector dimension error"), False),
        (rpc_error(grpc.StatusCode.UNAVAILABLE), True),
        (rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED), True),
        (rpc_error(grpc.StatusCode.NOT_FOUND), False),
        (ValueError("Collection x not found"), False),
    ],
)
def test_only_a_sick_node_counts_against_its_breaker(exc: BaseException, counts: bool) -> None:
    assert is_failure(exc) is counts


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (http_error(404, "Not found: Collection `docs` doesn't exist!"), NotFound),
        (http_error(409, "Wrong input: Collection `docs` already exists!"), Conflict),
        (http_error(400, "Wrong input: Vector dimension error: expected dim: 4, got 3"), Conflict),
        (http_error(403, "Forbidden: invalid api key"), DependencyUnavailable),
        (http_error(400, "Bad request: something else"), RagmonoError),
        (rpc_error(grpc.StatusCode.NOT_FOUND, "missing"), NotFound),
        (rpc_error(grpc.StatusCode.ALREADY_EXISTS, "exists"), Conflict),
        (ValueError("Collection docs not found"), NotFound),
        (ValueError("Collection docs already exists"), Conflict),
    ],
)
def test_qdrant_answers_become_domain_errors(exc: Exception, expected: type) -> None:
    mapped = to_domain_error(exc, "docs")
    assert type(mapped) is expected
    if isinstance(mapped, NotFound | Conflict) and "dimension" not in str(exc):
        assert "'docs'" in str(mapped)


def test_other_errors_pass_through_untouched() -> None:
    bug = KeyError("boom")
    assert to_domain_error(bug, "docs") is bug
    odd = ValueError("shape mismatch somewhere else")
    assert to_domain_error(odd, "docs") is odd


def test_a_refused_connection_never_reached_qdrant() -> None:
    assert never_sent(REFUSED) is True
    wrapped = DependencyUnavailable("qdrant:x", "failed")
    wrapped.__cause__ = REFUSED
    assert never_sent(wrapped) is True
    timed_out = DependencyUnavailable("qdrant:x", "timed out")
    timed_out.__cause__ = TimeoutError()
    assert never_sent(timed_out) is False


def test_versions_and_labels() -> None:
    assert parse_version("1.16.3") == (1, 16, 3)
    assert parse_version("v1.17.0-dev") == (1, 17, 0)
    assert parse_version("nightly") is None
    assert version_problem("1.16.0") is None
    assert version_problem("1.20.1") is None
    assert "older than 1.16.0" in (version_problem("1.15.9") or "")
    assert "unreadable" in (version_problem("nightly") or "")
    assert node_label("http://qdrant-node-2:6333") == "qdrant-node-2:6333"
    assert node_label("https://q.example.com") == "q.example.com:6333"
    assert to_read_consistency("1") == 1
    assert str(to_read_consistency("majority")) == "majority"
