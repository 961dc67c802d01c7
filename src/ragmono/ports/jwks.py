"""The JWKS port: where the public keys of bearer tokens signed with RS256/ES256 come from."""

from __future__ import annotations

from typing import Any, Protocol


class JwksSource(Protocol):
    """Fetches a JSON Web Key Set document (RFC 7517). Caching is the auth module's job."""

    async def fetch(self) -> dict[str, Any]:
        """The current key set; ``DependencyUnavailable("jwks", ...)`` when it cannot be had."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
