"""A round-robin reverse proxy over several replicas, as HAProxy or nginx would put in front.

Each request goes to the next upstream in turn; an upstream that refuses the connection (a
dead replica) is skipped for that request, as a proxy's health check would take it out.
"""

from __future__ import annotations

import http.client
import itertools
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.http_relay import forwarded_headers, relay
from tests.support.ports import free_port


class RoundRobinProxy:
    """Listens on a free loopback port and spreads requests over ``upstream_ports``."""

    def __init__(self, upstream_ports: Sequence[int]) -> None:
        self.port = free_port()
        ports = list(upstream_ports)
        turns = itertools.cycle(range(len(ports)))
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = forwarded_headers(self)
                with lock:
                    first = next(turns)
                for i in range(len(ports)):
                    port = ports[(first + i) % len(ports)]
                    upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                    try:
                        upstream.request(self.command, self.path, body=body, headers=headers)
                    except ConnectionRefusedError:
                        continue  # a dead replica: the next one answers
                    try:
                        relay(self, upstream.getresponse())
                    finally:
                        upstream.close()
                    return
                self.send_error(502, "no replica answered")

            do_GET = do_POST = do_DELETE = do_PATCH = _forward

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RoundRobinProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
