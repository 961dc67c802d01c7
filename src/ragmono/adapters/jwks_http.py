"""JWKS over HTTP(S) with httpx: one GET with a timeout; caching is the auth module's job."""

from __future__ import annotations

from typing import Any

import httpx

from ragmono.errors import DependencyUnavailable

__all__ = ["HttpJwksSource"]


class HttpJwksSource:
    """``JwksSource`` reading the key set document at ``url``."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None  # made on first use: building opens nothing

    async def fetch(self) -> dict[str, Any]:
        """The key set; ``DependencyUnavailable("jwks")`` on a transport error, non-200 or junk."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        try:
            response = await self._client.get(self._url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("jwks", f"fetching the key set failed: {exc!r}") from exc
        if response.status_code != 200:
            raise DependencyUnavailable("jwks", f"key set URL answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise DependencyUnavailable("jwks", "key set is not JSON") from None
        if not isinstance(document, dict):
            raise DependencyUnavailable("jwks", "key set is not a JSON object")
        return document

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
