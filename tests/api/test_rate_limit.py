"""Rate limits over HTTP: shared through a real Redis, exact, with headers, and degraded safely."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from ragmono.settings import Settings
from tests.conftest import SettingsFactory, app_client
from tests.support.apps import twin_adapters
from tests.support.auth import JWT_SECRET, bearer, claims, hs256
from tests.support.redis_server import RedisServer

SEARCH = "/api/v1/collections"  # scope search
INGEST = "/api/v1/collections/missing"  # PATCH: scope ingest


def shared_settings(
    make_settings: SettingsFactory, redis_server: RedisServer, **env: str
) -> Settings:
    """JWT auth, limits in the shared Redis under this test's own prefix, 5/minute."""
    defaults = {
        "auth__jwt_secret": JWT_SECRET,
        "redis__url": redis_server.url,
        "redis__key_prefix": f"t-{uuid.uuid4().hex[:8]}:",
        "rate_limit__default": "5/minute",
    }
    return make_settings(**{**defaults, **env})


async def test_exactly_n_allowed_across_two_instances_sharing_redis(
    make_settings: SettingsFactory, redis_server: RedisServer
) -> None:
    settings = shared_settings(make_settings, redis_server)
    alice = bearer(hs256(claims(["search"], sub="alice")))
    async with (
        app_client(settings, twin_adapters(settings)) as one,
        app_client(settings, twin_adapters(settings)) as two,
    ):
        responses = await asyncio.gather(
            *(app.get(SEARCH, headers=alice) for _ in range(6) for app in (one, two))
        )
        bob = await one.get(SEARCH, headers=bearer(hs256(claims(["search"], sub="bob"))))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [429] * 7
    ok = [r for r in responses if r.status_code == 200]
    assert sorted(r.headers["ratelimit-remaining"] for r in ok) == ["0", "1", "2", "3", "4"]
    assert bob.status_code == 200  # another identity has its own window
    assert bob.headers["ratelimit-remaining"] == "4"


async def test_headers_on_success_and_on_429(
    make_settings: SettingsFactory, redis_server: RedisServer
) -> None:
    settings = shared_settings(make_settings, redis_server, rate_limit__default="2/minute")
    token = bearer(hs256(claims(["search"])))
    async with app_client(settings, twin_adapters(settings)) as http:
        first = await http.get(SEARCH, headers=token)
        await http.get(SEARCH, headers=token)
        limited = await http.get(SEARCH, headers=token)
    assert first.status_code == 200
    assert first.headers["ratelimit-limit"] == "2"
    assert first.headers["ratelimit-remaining"] == "1"
    assert 59 <= int(first.headers["ratelimit-reset"]) <= 60
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert limited.headers["ratelimit-remaining"] == "0"
    assert limited.headers["ratelimit-limit"] == "2"
    assert int(limited.headers["retry-after"]) == int(limited.headers["ratelimit-reset"]) >= 1
    assert limited.headers["x-request-id"]
    assert "search" in limited.json()["detail"]


async def test_groups_are_limited_separately_with_their_own_rates(
    make_settings: SettingsFactory, redis_server: RedisServer
) -> None:
    settings = shared_settings(
        make_settings, redis_server, rate_limit__routes='{"ingest": "1/hour"}'
    )
    token = bearer(hs256(claims(["search", "ingest"])))
    async with app_client(settings, twin_adapters(settings)) as http:
        first = await http.patch(INGEST, headers=token, json={"description": "x"})
        second = await http.patch(INGEST, headers=token, json={"description": "x"})
        search = await http.get(SEARCH, headers=token)
    assert first.status_code == 404  # counted, then handled
    assert first.headers["ratelimit-limit"] == "1"
    assert int(first.headers["ratelimit-reset"]) > 3500
    assert second.status_code == 429
    assert search.status_code == 200
    assert search.headers["ratelimit-limit"] == "5"


@pytest.mark.timeout(60)
async def test_redis_down_falls_back_to_memory_and_back(
    make_settings: SettingsFactory, redis_server: RedisServer, capsys: Any
) -> None:
    settings = shared_settings(make_settings, redis_server, breakers__redis__reset_timeout_s="0.2")
    token = bearer(hs256(claims(["search"])))
    async with app_client(settings, twin_adapters(settings)) as http:
        for _ in range(3):
            assert (await http.get(SEARCH, headers=token)).status_code == 200
        redis_server.stop()
        try:
            during = [await http.get(SEARCH, headers=token) for _ in range(6)]
            admin = bearer(hs256(claims(["admin"], sub="ops")))
            breakers = (await http.get("/api/v1/admin/breakers", headers=admin)).json()
        finally:
            redis_server.start()
        logged = ""
        for _ in range(50):  # until the shared store answers again
            await asyncio.sleep(0.1)
            after = await http.get(SEARCH, headers=token)
            logged += capsys.readouterr().err
            if '"rate_limit_store_recovered"' in logged:
                break
        else:
            pytest.fail("never went back to Redis")
    # In memory the window starts afresh: 5 served, then this process alone limits.
    assert [r.status_code for r in during] == [200] * 5 + [429]
    assert [r.headers["ratelimit-remaining"] for r in during[:5]] == ["4", "3", "2", "1", "0"]
    redis = next(b for b in breakers["items"] if b["name"] == "redis")
    assert redis["state"] == "open"  # five failures opened it: Redis is no longer tried
    # Back on the restarted (empty) Redis: a fresh shared window.
    assert after.status_code == 200
    assert after.headers["ratelimit-remaining"] == "4"
    events = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    unavailable = [e for e in events if e["event"] == "rate_limit_store_unavailable"]
    assert len(unavailable) == 1
    assert unavailable[0]["level"] == "warning"
    assert unavailable[0]["fallback"] == "memory"


async def test_the_fallback_is_logged_once_per_transition(
    make_settings: SettingsFactory, redis_server: RedisServer, capsys: Any
) -> None:
    settings = shared_settings(make_settings, redis_server, breakers__redis__reset_timeout_s="0.05")
    token = bearer(hs256(claims(["search"])))
    async with app_client(settings, twin_adapters(settings)) as http:
        await http.get(SEARCH, headers=token)
        redis_server.stop()
        try:
            for _ in range(4):
                await http.get(SEARCH, headers=token)
                await asyncio.sleep(0.06)  # past the retry interval: Redis is tried each time
        finally:
            redis_server.start()
    logged = capsys.readouterr().err
    assert logged.count('"rate_limit_store_unavailable"') == 1
    assert logged.count('"rate_limit_store_recovered"') == 0


async def from_address(settings: Settings, peer: str, xff: list[str]) -> list[int]:
    """Statuses of GET /api/v1/collections sent from ``peer`` with each X-Forwarded-For."""
    async with app_client(settings, twin_adapters(settings)) as started:
        transport = httpx.ASGITransport(app=started.app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as http:
            responses = [
                await http.get(SEARCH, headers={"X-Forwarded-For": value}) for value in xff
            ]
    return [r.status_code for r in responses]


async def test_x_forwarded_for_is_believed_only_from_trusted_proxies(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(
        rate_limit__default="2/minute", rate_limit__trusted_proxies="10.0.0.0/8"
    )
    via_proxy = await from_address(
        settings, "10.1.2.3", ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.1"]
    )
    assert via_proxy == [200, 200, 200, 429]  # each forwarded client has its own window
    spoofed = await from_address(
        settings, "198.51.100.9", ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    )
    assert spoofed == [200, 200, 429]  # an untrusted peer is limited as itself
    prepended = await from_address(
        settings,
        "10.1.2.3",
        ["1.1.1.1, 203.0.113.5", "2.2.2.2, 203.0.113.5", "3.3.3.3, 203.0.113.5"],
    )
    assert prepended == [200, 200, 429]  # the client's own additions are ignored


async def test_disabled_rate_limits_send_no_headers(make_settings: SettingsFactory) -> None:
    async with app_client(make_settings(rate_limit__enabled="false"), twin_adapters()) as http:
        response = await http.get(SEARCH)
    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers
