"""The scope vocabulary and the authenticated caller (``Principal``)."""

from __future__ import annotations

from typing import Final, Literal

import msgspec

__all__ = ["ALL_SCOPES", "ROUTE_SCOPE_KEY", "Principal", "ScopeName"]

ScopeName = Literal["search", "query", "ingest", "admin"]
ALL_SCOPES: Final[frozenset[str]] = frozenset({"search", "query", "ingest", "admin"})
ROUTE_SCOPE_KEY: Final = "scope"
"""Key in a Litestar handler's ``opt`` naming the scope the route needs:
``@get("/", opt={"scope": "search"})`` or ``opt = {"scope": "admin"}`` on a controller."""


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling and what they may do.

    ``subject`` is a stable identity for rate limiting and logs (never a secret); empty when the
    caller is anonymous, in which case the client address identifies it.
    """

    subject: str
    scopes: frozenset[str]
    kind: Literal["service_token", "jwt", "anonymous"]

    def allows(self, scope: str) -> bool:
        """Whether this caller holds ``scope``."""
        return scope in self.scopes
