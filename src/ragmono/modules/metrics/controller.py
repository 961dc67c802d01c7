"""GET /metrics: Prometheus text format, outside /api/v1, outside auth and rate limits.

Its only gate is its own optional bearer token (``auth.metrics_token``), so a scraper needs no
API credentials and a scrape never spends a client's rate-limit budget.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from .service import MetricsService

# Read by the auth and rate-limit middleware: this route is exempt from both.
_EXEMPT = {"exclude_from_auth": True, "exclude_from_rate_limit": True}


class MetricsController(Controller):
    """The Prometheus scrape target."""

    tags = ["metrics"]

    @get(
        "/metrics",
        summary="Prometheus metrics (text format)",
        description="Needs `Authorization: Bearer <auth.metrics_token>` when that is set.",
        cache=False,
        media_type="text/plain",
        opt=_EXEMPT,
    )
    async def metrics(
        self, request: Request[Any, Any, Any], metrics: NamedDependency[MetricsService]
    ) -> Response[bytes]:
        scraped = metrics.scrape(request.headers.get("authorization"))
        # Litestar appends "; charset=utf-8" to every text/* media type itself.
        media_type = scraped.content_type.replace("; charset=utf-8", "")
        return Response(scraped.body, media_type=media_type)
