"""The web console at ``/`` and the offline API docs at ``/schema``.

Plain HTML, CSS and ES modules shipped in this package (no build step, nothing fetched from
another origin); the browser talks to the same public ``/api/v1`` routes as any client.
"""

from .config import CONTENT_SECURITY_POLICY, ConsoleConfig
from .controller import console_router
from .docs import OfflineSwaggerPlugin, docs_router

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "ConsoleConfig",
    "OfflineSwaggerPlugin",
    "console_router",
    "docs_router",
]
