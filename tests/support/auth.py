"""Credentials for tests: secrets, JWT minting (good and bad), keys served as a real JWKS."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.support.ports import free_port

JWT_SECRET = "test-jwt-secret-0123456789abcdefghijklmnop"
OTHER_SECRET = "another-secret-0123456789abcdefghijklmnopq"
ISSUER = "https://issuer.test"
AUDIENCE = "ragmono"
SERVICE_TOKEN = "svc-token-0123456789abcdefghijklmnopqrstu"


def claims(
    scopes: Iterable[str] = ("search",),
    *,
    sub: str = "alice",
    ttl_s: int = 600,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    **extra: Any,
) -> dict[str, Any]:
    """Claims that pass every check unless overridden."""
    now = int(time.time())
    body: dict[str, Any] = {
        "sub": sub,
        "scope": " ".join(scopes),
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
        "iss": issuer,
        "aud": audience,
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def hs256(body: dict[str, Any], secret: str = JWT_SECRET) -> str:
    """An HS256 JWT."""
    return jwt.encode(body, secret, algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


class SigningKey:
    """An RSA (RS256) or EC P-256 (ES256) key pair with a kid, and its public JWK."""

    def __init__(self, kid: str, alg: str = "RS256") -> None:
        self.kid = kid
        self.alg = alg
        if alg == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            public = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk: dict[str, Any] = {**public, "kid": kid, "alg": alg, "use": "sig"}

    def sign(self, body: dict[str, Any], *, kid: str | None = None) -> str:
        """A JWT signed with this key (its kid in the header unless overridden)."""
        return jwt.encode(body, self.private, algorithm=self.alg, headers={"kid": kid or self.kid})


class JwksServer:
    """A real HTTP server on 127.0.0.1 serving a JWKS that tests can rotate, break or stop."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = list(keys)
        self.status = 200
        self.requests = 0
        self.port = free_port()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                body = json.dumps({"keys": [k.jwk for k in server.keys]}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def url(self) -> str:
        """URL of the key set."""
        return f"http://127.0.0.1:{self.port}/.well-known/jwks.json"

    def start(self) -> JwksServer:
        """Serve in a background thread (once)."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (connections are refused from now on); idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:  # shutdown() waits for serve_forever, so only if it runs
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
