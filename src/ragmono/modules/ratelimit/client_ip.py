"""The client's address: the TCP peer, or what a trusted proxy says the client was.

``X-Forwarded-For`` / ``Forwarded`` are believed only when the peer is in a trusted network,
and then read right to left, skipping trusted hops: the first untrusted hop is the client.
Entries further left were written by the client itself and prove nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Literal

from ragmono.errors import SettingsError

__all__ = ["ClientAddressResolver"]

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddressResolver:
    """Resolves the client address from the peer and one proxy header."""

    def __init__(
        self,
        trusted_proxies: Sequence[str],
        header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for",
    ) -> None:
        networks: list[_Network] = []
        for index, text in enumerate(trusted_proxies):
            try:
                networks.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"invalid setting rate_limit.trusted_proxies[{index}]: {text!r} is not an "
                    "IP address or network (e.g. 10.0.0.0/8)"
                ) from None
        self._networks = tuple(networks)
        self.header = header.encode()
        """The lower-case header name (bytes, as in an ASGI scope) to pass to ``resolve``."""

    @property
    def trusts_proxies(self) -> bool:
        """Whether any proxy is trusted (if not, the header is never read)."""
        return bool(self._networks)

    def resolve(self, peer: str | None, header_value: str | None) -> str:
        """The client address for a request from ``peer`` carrying ``header_value``."""
        if not peer:
            return "unknown"
        if header_value is None or not self._is_trusted(_parse(peer)):
            return peer
        hops = _forwarded_for(header_value) if self.header == b"forwarded" else _xff(header_value)
        for hop in reversed(hops):
            address = _parse(hop)
            if not self._is_trusted(address):
                return str(address) if address is not None else hop
        return hops[0] if hops else peer

    def _is_trusted(self, address: _Address | None) -> bool:
        return address is not None and any(address in net for net in self._networks)


def _parse(text: str) -> _Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _strip_port(value: str) -> str:
    value = value.strip().strip('"')
    if value.startswith("["):  # "[2001:db8::1]:4711"
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:  # "192.0.2.1:4711"
        return value.split(":", 1)[0]
    return value


def _xff(value: str) -> list[str]:
    return [_strip_port(v) for v in value.split(",") if v.strip()]


def _forwarded_for(value: str) -> list[str]:
    hops: list[str] = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, raw = pair.partition("=")
            if name.strip().lower() == "for" and raw.strip():
                hops.append(_strip_port(raw))
    return hops
