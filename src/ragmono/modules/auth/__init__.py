"""Auth module: service tokens and bearer JWTs, mapped to the scopes routes declare.

Scopes: ``search``, ``query``, ``ingest``, ``admin``. A route declares the one it needs with
``opt={"scope": "..."}``; routes under ``/api/``, ``/v1/`` and ``/mcp`` without one are
denied (fail closed). Access labels (JWT claims, labels on a service token) say which
documents a caller reads: :func:`reader_of` hands them to the services.
"""

from .guards import (
    ANY_SCOPE,
    API_PREFIX,
    GUARDED_PREFIXES,
    OPEN_ACCESS,
    AuthConfig,
    Authenticator,
    authorize,
    build_authenticator,
    routes_without_scope,
    scoped_routes,
)
from .jwks import JwksKeys
from .schemas import (
    ALL_SCOPES,
    PRINCIPAL_STATE_KEY,
    ROUTE_SCOPE_KEY,
    Principal,
    ScopeName,
    reader_of,
)
from .tokens import (
    MIN_SECRET_LENGTH,
    ClaimLabels,
    JwtVerifier,
    ServiceTokens,
    issue_token,
    new_secret,
    parse_duration,
)

__all__ = [
    "ALL_SCOPES",
    "ANY_SCOPE",
    "API_PREFIX",
    "GUARDED_PREFIXES",
    "MIN_SECRET_LENGTH",
    "OPEN_ACCESS",
    "PRINCIPAL_STATE_KEY",
    "ROUTE_SCOPE_KEY",
    "AuthConfig",
    "Authenticator",
    "ClaimLabels",
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
    "reader_of",
    "routes_without_scope",
    "scoped_routes",
]
