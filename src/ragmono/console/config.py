"""What the console needs from the settings, and the public path prefix of a request."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from litestar.types import Scope

__all__ = ["CONTENT_SECURITY_POLICY", "ConsoleConfig"]

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Our own origin only: no inline script or style, no other host, no framing."""

_PREFIX: Final = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ConsoleConfig:
    """Built from ``server.root_path`` and ``rate_limit.trusted_proxies`` in ``app.py``."""

    root_path: str = ""
    """Public path prefix a reverse proxy strips before forwarding (``/rag``; empty: none)."""
    trusted_proxies: Sequence[str] = ()
    """Peers whose ``X-Forwarded-Prefix`` header is believed."""
    _networks: tuple[_Network, ...] = field(init=False, repr=False, default=())

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.root_path):
            raise ValueError(f"root_path {self.root_path!r} must look like /a/b (no trailing /)")
        # Validated (with a message naming the key) when the edge is built from the same list.
        networks = tuple(
            ipaddress.ip_network(n.strip(), strict=False) for n in self.trusted_proxies
        )
        object.__setattr__(self, "_networks", networks)

    def prefix(self, scope: Scope) -> str:
        """The public prefix of this request: a trusted proxy's X-Forwarded-Prefix, else
        ``root_path``. A header that is not a plain path is ignored."""
        if self._networks and self._trusted(scope):
            for name, value in scope.get("headers", ()):
                if name == b"x-forwarded-prefix":
                    forwarded = value.decode("latin-1").strip().rstrip("/")
                    if _PREFIX.match(forwarded):
                        return forwarded
        return self.root_path

    def _trusted(self, scope: Scope) -> bool:
        client = scope.get("client")
        try:
            peer = ipaddress.ip_address(client[0]) if client else None
        except ValueError:
            return False
        return peer is not None and any(peer in net for net in self._networks)
