"""The OpenAI-compatible router, ``/v1``: same auth and scopes as /api/v1, OpenAI's errors."""

from __future__ import annotations

from litestar import Router

from ragmono.api.edge_middleware import API_SECURITY, ERROR_RENDERER_KEY
from ragmono.modules.openai_compat import (
    OPENAI_EXCEPTION_HANDLERS,
    OpenAIController,
    openai_error_for,
)


def build_openai_router() -> Router:
    """Router("/v1"): every error, the edge's 401/403/429 included, in OpenAI's body."""
    return Router(
        path="/v1",
        route_handlers=[OpenAIController],
        exception_handlers=OPENAI_EXCEPTION_HANDLERS,
        opt={ERROR_RENDERER_KEY: openai_error_for},
        security=API_SECURITY,
    )
