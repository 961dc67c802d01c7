"""Who may read the metrics, and what they get."""

from __future__ import annotations

import hmac

from ragmono.errors import Unauthorized
from ragmono.ports import Exposition, Telemetry

__all__ = ["MetricsService"]


class MetricsService:
    """Renders the telemetry sink for a scraper, behind an optional bearer token."""

    def __init__(self, telemetry: Telemetry, *, token: str = "") -> None:
        self._telemetry = telemetry
        self._token = token.encode()

    def scrape(self, authorization: str | None) -> Exposition:
        """The current metrics; raises ``Unauthorized`` if a token is set and not presented."""
        if self._token:
            scheme, _, presented = (authorization or "").partition(" ")
            # compare_digest: the time taken must not tell how much of a guess was right.
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                presented.strip().encode(), self._token
            ):
                raise Unauthorized("GET /metrics needs 'Authorization: Bearer <metrics token>'")
        return self._telemetry.exposition()
