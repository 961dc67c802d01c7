"""What the test proxies share: request headers to pass on, a reply streamed back."""

from __future__ import annotations

import http.client
from http.server import BaseHTTPRequestHandler

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host"}


def forwarded_headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    """The request's headers without the hop-by-hop ones."""
    return {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}


def relay(handler: BaseHTTPRequestHandler, reply: http.client.HTTPResponse) -> None:
    """Send ``reply`` to the client as it arrives (Server-Sent Events flow through); a client
    that went away ends it quietly."""
    handler.send_response(reply.status, reply.reason)
    for name, value in reply.getheaders():
        if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
            handler.send_header(name, value)
    handler.end_headers()
    try:
        while chunk := reply.read1(65536):
            handler.wfile.write(chunk)
            handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # nothing to tell a client that is gone
