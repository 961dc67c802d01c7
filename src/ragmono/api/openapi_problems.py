"""The problem+json answers each operation can give, declared in its OpenAPI entry.

Every ``/api`` operation can answer 400, 401, 403, 422 and 429 (the edge and the problem
map), 503 (a dependency, or stored data, cannot be used: also behind auth and rate limits)
and 500 (a bug: the body only quotes the request id). What else an operation can answer
follows from its shape:

* 404: it names something, in its path, its body or a ``collection`` parameter;
* 409: it names something, or changes something (a backup already running, ...);
* 413: it takes a body (``server.max_body_bytes``, ``server.max_upload_bytes``);
* 415: it takes a JSON or multipart body (another media type is refused).

A handler's own ``responses`` win. ``tests/api/test_schemathesis.py`` checks that every
status a generated request gets is declared for its operation.
"""

from __future__ import annotations

from typing import Final

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from ragmono.api.problems import PROBLEM_JSON, Problem
from ragmono.modules.auth import API_PREFIX

__all__ = ["document_problem_responses"]


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_JSON,
        generate_examples=False,
        description=description,
    )


_EVERY_OPERATION: Final = {
    400: _problem("A query or path parameter is invalid; `field` names it."),
    401: _problem("Missing or invalid credentials (with WWW-Authenticate: Bearer)."),
    403: _problem("The credentials lack the scope this route needs."),
    422: _problem("A body value is invalid; `field` names it."),
    429: _problem("Rate limit used up (Retry-After and RateLimit-* headers)."),
    500: _problem("An unexpected error; the body quotes the request id, the log has the rest."),
    503: _problem(
        "A dependency is unavailable (Qdrant, the embedder, Redis, the JWKS endpoint; "
        "`dependency` names it, Retry-After says when to try again), or the named "
        "collection's data cannot be read (`field` is `collection`; the others serve)."
    ),
}
_NOT_FOUND: Final = _problem(
    "The named collection, document, job, backup or breaker does not exist."
)
_CONFLICT: Final = _problem(
    "The request contradicts what is stored (a duplicate name, another embedder, a job "
    "already finished, a backup or reindex under way)."
)
_WITH_BODY: Final = {
    413: _problem("The body, a file or a document is over its configured limit."),
    415: _problem("The body's media type is not the one this operation reads."),
}

_METRICS_TOKEN: Final = _problem("`auth.metrics_token` is set and was not presented.")


def document_problem_responses(app: Litestar) -> None:
    """Declare the problem+json answers of every /api operation (see the module docstring).

    Read when the schema is first built; a handler's own ``responses`` win.
    """
    for route in app.routes:
        if route.path == "/metrics":  # its own optional token (auth.metrics_token)
            for handler in getattr(route, "route_handlers", ()):
                if isinstance(handler, HTTPRouteHandler):
                    handler.responses = {401: _METRICS_TOKEN, **(handler.responses or {})}
        if not route.path.startswith(API_PREFIX):
            continue
        names_something = "{" in route.path
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            parameters = handler.parsed_fn_signature.parameters
            has_body = "data" in parameters
            declared = dict(_EVERY_OPERATION)
            if names_something or has_body or "collection" in parameters:
                declared.update({404: _NOT_FOUND, 409: _CONFLICT})
            elif handler.http_methods - {"GET", "HEAD", "OPTIONS"}:
                declared[409] = _CONFLICT
            if has_body:
                declared.update(_WITH_BODY)
            handler.responses = {**declared, **(handler.responses or {})}
