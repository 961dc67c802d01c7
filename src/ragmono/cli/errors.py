"""How the ``ragmono`` command fails: one line on stderr and a documented exit code.

Exit codes (README, "Command line")::

    0  done
    1  done, but some of the work failed (a file was not ingested); or an unexpected error
    2  bad usage: an unknown option, a missing file, a bad setting or URL
    3  the server could not be reached (refused, timed out, not an HTTP server)
    4  the request was refused: 401/403 credentials, 404 not found, 409 conflict, 422/413/415
       invalid input, 429 rate limited (through a server, or the same errors in-process)
    5  the server or a dependency failed: a 5xx, the data directory in use, Qdrant down

Commands raise :class:`CliError`; ``ragmono.cli.main`` prints it. Any other exception is
printed as one line too, with the traceback only under ``ragmono --debug``.
"""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED",
    "EXIT_REFUSED",
    "EXIT_SERVER",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "CliError",
    "from_domain",
]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_REFUSED = 4
EXIT_SERVER = 5


class CliError(Exception):
    """An expected failure: ``message`` is the one line the user sees, ``code`` the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def from_domain(exc: Exception) -> CliError | None:
    """The CLI's form of a domain error raised in-process (None for anything else)."""
    from ragmono.errors import DependencyUnavailable, RagmonoError

    if not isinstance(exc, RagmonoError):
        return None
    if isinstance(exc, DependencyUnavailable):
        return CliError(exc.detail, EXIT_SERVER)
    if exc.status_code >= 500:
        return None
    return CliError(exc.detail, EXIT_REFUSED)
