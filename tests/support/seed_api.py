"""A live ``ragmono serve`` with the seed API on, auth configured, and the handbook corpus as
markdown files under an allowed root (ingested through the seed's own routes by the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.support.auth import AUDIENCE, ISSUER, JWT_SECRET, SERVICE_TOKEN
from tests.support.corpus import HANDBOOK
from tests.support.live_server import LiveServer

SEARCH_TOKEN = "svc-search-only-0123456789abcdefghijklmn"
"""A service token holding only the ``search`` scope."""
DASHBOARD_ORIGIN = "http://localhost:9080"
SEED = "/api/v1/rag"


def write_corpus(root: Path) -> Path:
    """The handbook as ``<root>/docs/<source>`` files; returns the docs directory."""
    docs = root / "docs"
    for doc in HANDBOOK:
        path = docs / doc.source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(doc.chunks), encoding="utf-8")
    return docs


def seed_env(root: Path, **extra: str) -> dict[str, str]:
    """Settings of a deployment migrating from the seed: compat on, auth, CORS for its dashboard."""
    return {
        "RAGMONO_COMPAT__SEED_API": "true",
        "RAGMONO_INGEST__ALLOWED_ROOTS": str(root),
        "RAGMONO_AUTH__SERVICE_TOKENS": f"{SERVICE_TOKEN},{SEARCH_TOKEN}:search",
        "RAGMONO_AUTH__JWT_SECRET": JWT_SECRET,
        "RAGMONO_AUTH__ISSUER": ISSUER,
        "RAGMONO_AUTH__AUDIENCE": AUDIENCE,
        "RAGMONO_RATE_LIMIT__ENABLED": "false",
        "RAGMONO_CORS__ALLOW_ORIGINS": DASHBOARD_ORIGIN,
        "RAGMONO_CORS__ALLOW_METHODS": "GET,POST,PUT,DELETE",
        "RAGMONO_CORS__ALLOW_HEADERS": (
            "Authorization,Content-Type,X-Request-ID,X-Service-Token,Cache-Control,Pragma"
        ),
        **extra,
    }


def live_seed_server(root: Path) -> Iterator[LiveServer]:
    """Start the server on ``root`` (corpus written first); stop it afterwards."""
    write_corpus(root)
    (root / "data").mkdir()
    server = LiveServer(root / "data", seed_env(root)).start()
    try:
        yield server
    finally:
        server.stop()


def seed_client(server: LiveServer, token: str = SERVICE_TOKEN) -> httpx.Client:
    """An HTTP client on the server with a service token, as a trusted seed client."""
    return httpx.Client(base_url=server.url + SEED, headers={"X-Service-Token": token}, timeout=60)


def create_and_ingest(http: httpx.Client, name: str, directory: Path) -> dict[str, Any]:
    """Create ``name`` on ``directory`` and ingest it through the seed routes; the ingest data."""
    created = http.post(
        "/collections",
        json={
            "name": name,
            "description": "Company handbook",
            "directory": str(directory),
            "embeddingModel": "nomic-embed-text",
            "fileTypes": ["md"],
        },
    )
    assert created.status_code == 201, created.text
    ingested = http.post(f"/collections/{name}/ingest")
    assert ingested.status_code == 200, ingested.text
    data: dict[str, Any] = ingested.json()["data"]
    return data
