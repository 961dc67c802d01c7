"""The scope vocabulary and the authenticated caller (``Principal``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import msgspec

from ragmono.domain import Reader

__all__ = [
    "ALL_SCOPES",
    "PRINCIPAL_STATE_KEY",
    "ROUTE_SCOPE_KEY",
    "Principal",
    "ScopeName",
    "reader_of",
]

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
    labels: frozenset[str] = frozenset()
    """Access labels (``group:finance``, ``tenant:acme``, ``access:all``): which documents
    this caller reads."""

    def allows(self, scope: str) -> bool:
        """Whether this caller holds ``scope``."""
        return scope in self.scopes

    @property
    def reader(self) -> Reader:
        """This caller as the services see a reader."""
        return Reader(self.labels)


PRINCIPAL_STATE_KEY: Final = "principal"
"""Key in a request's ``scope["state"]`` where the edge leaves the admitted ``Principal``."""


def reader_of(scope: Mapping[str, Any]) -> Reader:
    """The reader of an ASGI request the edge admitted; no labels (public only) otherwise."""
    principal = scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    return principal.reader if isinstance(principal, Principal) else Reader()
