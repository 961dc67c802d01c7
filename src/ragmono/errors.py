"""The domain error tree. Services raise these; ``ragmono.api.problems`` maps them to HTTP once.

::

    RagmonoError                     500  something we did not expect
    ├── InvalidInput                 422  a value is wrong; ``field`` names it
    │   ├── PayloadTooLarge          413  a body, file or upload is over its limit
    │   └── UnsupportedMediaType     415  a file type that cannot be read
    ├── Unauthorized                 401  no or bad credentials
    ├── Forbidden                    403  credentials lack the scope
    ├── NotFound                     404  a named thing does not exist
    ├── Conflict                     409  the request contradicts what is stored
    ├── RateLimited                  429  too many requests; ``retry_after_s``
    └── DependencyUnavailable        503  Qdrant, Ollama or Redis is down; ``retry_after_s``

    SettingsError (a ValueError)          a setting is unknown or bad, at start-up: never HTTP
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DependencyUnavailable",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RagmonoError",
    "RateLimited",
    "SettingsError",
    "Unauthorized",
    "UnsupportedMediaType",
]


class SettingsError(ValueError):
    """A setting is unknown or has a bad value; the message names the key.

    Raised by ``load_settings`` and by the parts the composition root builds from settings
    (auth, rate limits), which name the key they were given.
    """


class RagmonoError(Exception):
    """Base of every error ragmono raises on purpose."""

    status_code = 500
    title = "Internal Server Error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(RagmonoError):
    """A request value is invalid; ``field`` is its dotted path (``body.top_k``)."""

    status_code = 422
    title = "Invalid input"


class PayloadTooLarge(InvalidInput):
    """A body, file or upload is over its configured limit."""

    status_code = 413
    title = "Payload too large"


class UnsupportedMediaType(InvalidInput):
    """A file's type is not one that can be read."""

    status_code = 415
    title = "Unsupported media type"


class Unauthorized(RagmonoError):
    """Credentials are missing or invalid."""

    status_code = 401
    title = "Unauthorized"


class Forbidden(RagmonoError):
    """Credentials are valid but lack the scope this route needs."""

    status_code = 403
    title = "Forbidden"


class NotFound(RagmonoError):
    """The named collection, document, job or backup does not exist."""

    status_code = 404
    title = "Not found"


class Conflict(RagmonoError):
    """The request contradicts stored state (duplicate name, embedder mismatch, ...)."""

    status_code = 409
    title = "Conflict"


class RateLimited(RagmonoError):
    """The client went over its rate limit."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: float) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class DependencyUnavailable(RagmonoError):
    """A dependency failed or its circuit breaker is open."""

    status_code = 503
    title = "Service unavailable"

    def __init__(self, dependency: str, detail: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(detail)
        self.dependency = dependency
        self.retry_after_s = retry_after_s
