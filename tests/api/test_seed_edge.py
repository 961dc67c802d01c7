"""Seed API at the edge: off by default, ragmono's auth and scopes on the seed's headers,
CORS for the dashboard, and dependency failures as the seed's clients count them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ragmono.adapters.memory import HashingEmbedder, MemoryVectorStore, SimpleSparseEncoder
from ragmono.lifespan import Adapters
from ragmono.settings import Settings
from tests.conftest import SettingsFactory, app_client
from tests.support.apps import twin_adapters
from tests.support.auth import SERVICE_TOKEN, bearer, claims, hs256
from tests.support.embedders import UnavailableEmbedder
from tests.support.qdrant_twin import QdrantTwin, TwinBackend
from tests.support.seed_api import DASHBOARD_ORIGIN, SEARCH_TOKEN, SEED, seed_env

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

K6_MOCK_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ1c2VyIjoidGVzdC11c2VyIiwiaWF0IjoxNjI4NTAwMDAwfQ.test-signature"
)
"""load-test-rag-with-jwt.js's token: a literal fake signature, no sub or exp (section 5.2)."""
ADMIN = {"X-Service-Token": SERVICE_TOKEN}


@pytest.fixture
def seed_settings(make_settings: SettingsFactory, tmp_path: Any) -> Settings:
    env = seed_env(tmp_path)
    return make_settings(**{k.removeprefix("RAGMONO_").lower(): v for k, v in env.items()})


@pytest.fixture
async def http(seed_settings: Settings) -> AsyncIterator[Any]:
    async with app_client(seed_settings, twin_adapters(seed_settings)) as client:
        created = await client.post("/api/v1/collections", json={"name": "docs"}, headers=ADMIN)
        assert created.status_code == 201
        added = await client.post(
            "/api/v1/collections/docs/documents",
            json={"documents": [{"id": "a", "text": "Badges are replaced within one day."}]},
            headers=ADMIN,
        )
        assert added.status_code == 200
        yield client


async def test_the_seed_api_is_off_by_default(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    async with app_client(settings, twin_adapters(settings)) as client:
        response = await client.get(f"{SEED}/search", params={"query": "badge"})
    assert response.status_code == 404


async def test_credentials_and_scopes_are_ragmono_s_own(http: Any) -> None:
    search = f"{SEED}/search"
    params = {"query": "badges replaced", "collection": "docs"}
    anonymous = await http.get(search, params=params)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    wrong = await http.get(search, params=params, headers={"X-Service-Token": "dev-secret"})
    assert wrong.status_code == 401, "the seed's compose default secret is not a credential"
    k6 = await http.get(search, params=params, headers=bearer(K6_MOCK_JWT))
    assert k6.status_code == 401, "the k6 mock token's signature is fake"

    scoped = {"X-Service-Token": SEARCH_TOKEN}
    found = await http.get(search, params=params, headers=scoped)
    assert found.status_code == 200
    assert found.json()["results"][0]["content"] == "Badges are replaced within one day."
    jwt_search = bearer(hs256(claims(["search"])))
    assert (await http.get(search, params=params, headers=jwt_search)).status_code == 200
    for headers in (scoped, jwt_search):
        asked = await http.post(
            f"{SEED}/query", json={"query": "badges", "collection": "docs"}, headers=headers
        )
        assert asked.status_code == 403, "answers need the query scope"
        created = await http.post(f"{SEED}/collections", json={}, headers=headers)
        assert created.status_code == 403, "creating needs the ingest scope"
    jwt_query = bearer(hs256(claims(["query"])))
    asked = await http.post(
        f"{SEED}/query", json={"query": "badges", "collection": "docs"}, headers=jwt_query
    )
    assert asked.status_code == 200
    delete_as_ingest = bearer(hs256(claims(["ingest"])))
    dropped = await http.delete(f"{SEED}/collections/docs", headers=delete_as_ingest)
    assert dropped.status_code == 403, "dropping a collection is admin, as on /api/v1"


async def test_the_dashboard_origin_passes_the_cors_preflight(http: Any) -> None:
    preflight = await http.options(
        f"{SEED}/collections",
        headers={
            "Origin": DASHBOARD_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "cache-control,pragma",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
    listed = await http.get(f"{SEED}/collections", headers={"Origin": DASHBOARD_ORIGIN, **ADMIN})
    assert listed.headers["access-control-allow-origin"] == DASHBOARD_ORIGIN
    assert "X-Request-ID" in listed.headers["access-control-expose-headers"]
    other = await http.options(
        f"{SEED}/collections",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in other.headers


async def test_an_embedder_outage_degrades_to_keyword_search(seed_settings: Settings) -> None:
    embedder = HashingEmbedder()
    store = MemoryVectorStore()
    async with app_client(
        seed_settings,
        Adapters(vector_store=store, embedder=embedder, sparse_encoder=SimpleSparseEncoder()),
    ) as client:
        await client.post("/api/v1/collections", json={"name": "docs"}, headers=ADMIN)
        await client.post(
            "/api/v1/collections/docs/documents",
            json={"documents": [{"id": "a", "text": "Badges are replaced within one day."}]},
            headers=ADMIN,
        )
    down = Adapters(
        vector_store=store,
        embedder=UnavailableEmbedder(embedder.ref),
        sparse_encoder=SimpleSparseEncoder(),
    )
    async with app_client(seed_settings, down) as client:
        found = await client.get(
            f"{SEED}/search", params={"query": "badges", "collection": "docs"}, headers=ADMIN
        )
        asked = await client.post(
            f"{SEED}/query", json={"query": "badges replaced", "collection": "docs"}, headers=ADMIN
        )
    assert found.status_code == 200
    assert found.json()["degraded"] is True
    assert found.json()["results"]
    assert "embedder_unavailable" in found.headers["Warning"]
    assert asked.status_code == 200
    assert "embedder_unavailable" in asked.headers["Warning"]
    metadata = asked.json()["data"]["metadata"]
    assert metadata["degraded"] is True
    assert metadata["mode"] == "keyword"
    assert "Badges are replaced" in asked.json()["data"]["answer"]


async def test_a_qdrant_outage_is_503_with_retry_after(make_settings: SettingsFactory) -> None:
    twin = QdrantTwin(TwinBackend())
    try:
        settings = make_settings(
            compat__seed_api="true",
            vector_store__mode="server",
            vector_store__url=twin.url,
            vector_store__timeout_s="1",
        )
        async with app_client(settings) as client:
            created = await client.post("/api/v1/collections", json={"name": "documentation"})
            assert created.status_code == 201
            twin.set_mode("unavailable")
            searched = await client.get(f"{SEED}/search", params={"query": "badges"})
            asked = await client.post(f"{SEED}/query", json={"query": "badges"})
            listed = await client.get(f"{SEED}/collections")
    finally:
        twin.close()
    assert searched.status_code == 503, "k6 counts 503 as circuit open"
    assert int(searched.headers["Retry-After"]) >= 1
    assert searched.json()["success"] is False
    assert searched.json()["error"] == "ServiceUnavailableError"
    for response in (asked, listed):
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "SERVICE_UNAVAILABLE"
        assert error["details"]["dependency"].startswith("qdrant")
        assert response.json()["meta"]["requestId"] == response.headers["X-Request-ID"]
