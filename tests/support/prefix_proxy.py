"""A reverse proxy that serves an app under a path prefix, as nginx's ``location /rag/`` would.

It strips the prefix before forwarding, answers 404 for any path outside it (so a link that
forgets the prefix fails visibly), optionally adds ``X-Forwarded-Prefix``, and streams the
response (Server-Sent Events arrive as they are written).
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.http_relay import forwarded_headers, relay
from tests.support.ports import free_port


class PrefixProxy:
    """Listens on a free loopback port; ``url`` is the public base (with the prefix)."""

    def __init__(self, upstream_port: int, prefix: str, *, send_prefix_header: bool) -> None:
        self.port = free_port()
        self.prefix = prefix
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes: streams

            def _forward(self) -> None:
                if not (self.path == proxy.prefix or self.path.startswith(proxy.prefix + "/")):
                    self.send_error(404, "outside the proxied prefix")
                    return
                path = self.path[len(proxy.prefix) :] or "/"
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = forwarded_headers(self)
                if send_prefix_header:
                    headers["X-Forwarded-Prefix"] = proxy.prefix
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                upstream.request(self.command, path, body=body, headers=headers)
                relay(self, upstream.getresponse())
                upstream.close()

            do_GET = do_POST = do_DELETE = do_PATCH = _forward

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The public base URL, prefix included, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def start(self) -> PrefixProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
