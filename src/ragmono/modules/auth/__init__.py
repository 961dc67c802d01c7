"""Auth module: service tokens and bearer JWTs, mapped to the scopes routes declare.

Scopes: ``search``, ``query``, ``ingest``, ``admin``. A route declares the one it needs with
``opt={"scope": "..."}``; routes under ``/api/`` without one are denied (fail closed).
"""

from .guards import (
    API_PREFIX,
    OPEN_ACCESS,
    AuthConfig,
    Authenticator,
    authorize,
    build_authenticator,
    routes_without_scope,
    scoped_routes,
)
from .jwks import JwksKeys
from .schemas import ALL_SCOPES, ROUTE_SCOPE_KEY, Principal, ScopeName
from .tokens import (
    MIN_SECRET_LENGTH,
    JwtVerifier,
    ServiceTokens,
    issue_token,
    new_secret,
    parse_duration,
)

__all__ = [
    "ALL_SCOPES",
    "API_PREFIX",
    "MIN_SECRET_LENGTH",
    "OPEN_ACCESS",
    "ROUTE_SCOPE_KEY",
    "AuthConfig",
    "Authenticator",
    "JwksKeys",
    "JwtVerifier",
    "Principal",
    "ScopeName",
    "ServiceTokens",
    "authorize",
    "build_authenticator",
    "issue_token",
    "new_secret",
    "parse_duration",
    "routes_without_scope",
    "scoped_routes",
]
