"""Redis killed and restarted: the ``redis`` breaker recovers on one probe, without flapping.

Issue #18, item 10: pooled connections left from before the restart are dead; if the pool hands
them out, the breaker closes on the probe and re-opens on the next burst.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SettingsFactory, app_client
from tests.support.redis_server import RedisServer
from tests.support.waiting import eventually

JOBS = "/api/v1/jobs"
RESET_S = 1.0
BURST = 12


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it kills and restarts."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


async def _burst(http: Any) -> list[int]:
    """``BURST`` concurrent job listings: each holds its own pooled connection."""
    responses = await asyncio.gather(*(http.get(JOBS) for _ in range(BURST)))
    return [r.status_code for r in responses]


async def _redis_breaker(http: Any) -> dict[str, Any]:
    items = (await http.get("/api/v1/admin/breakers")).json()["items"]
    found: dict[str, Any] = next(b for b in items if b["name"] == "redis")
    return found


async def test_redis_restart_recovers_within_reset_timeout_and_stays_closed(
    make_settings: SettingsFactory, own_redis: RedisServer
) -> None:
    settings = make_settings(
        redis__url=own_redis.url,
        redis__timeout_s="0.5",
        breakers__redis__reset_timeout_s=str(RESET_S),
        rate_limit__default="100000/minute",  # counted in the same Redis, behind the same breaker
    )
    seen: list[tuple[float, int]] = []
    stop = asyncio.Event()

    async def load() -> None:  # clients keep calling through the outage, as in production
        while not stop.is_set():
            statuses = await _burst(http)
            ended = time.monotonic()  # one time per burst: its requests raced each other
            seen.extend((ended, s) for s in statuses)
            await asyncio.sleep(0.01)

    async with app_client(settings) as http:
        assert set(await _burst(http)) == {200}  # the pool now holds BURST live connections
        loader = asyncio.create_task(load())
        await asyncio.sleep(0.3)
        own_redis.stop()

        async def opened() -> bool:
            return (await _redis_breaker(http))["state"] == "open"

        assert await eventually(opened, timeout_s=10)
        await asyncio.sleep(2 * RESET_S)  # a few failed probes while Redis is down
        own_redis.start()
        restarted = time.monotonic()
        await asyncio.sleep(RESET_S + 3)
        stop.set()
        await loader
        breaker = await _redis_breaker(http)
    after = [(t - restarted, s) for t, s in seen if t > restarted]
    first_ok = next(t for t, s in after if s == 200)
    assert first_ok <= RESET_S + 1.0, first_ok
    # Once recovered it stays so: nothing after the first success is refused.
    assert {s for t, s in after if t > first_ok} == {200}, [x for x in after if x[1] != 200]
    assert breaker["state"] == "closed"
