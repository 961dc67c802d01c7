"""RedisJobQueue against a real redis-server: two queues on one Redis are two replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from ragmono.adapters.redis_job_queue import RedisJobQueue
from ragmono.errors import NotFound, PayloadTooLarge
from tests.conftest import RedisClients
from tests.support.redis_server import RedisServer

QueueFactory = Callable[..., RedisJobQueue]


@pytest.fixture
def replica(redis_clients: RedisClients, request: pytest.FixtureRequest) -> QueueFactory:
    """A queue as one replica builds it (its own clients, a unique consumer name)."""

    def make(**options: object) -> RedisJobQueue:
        shared, waiting = redis_clients(timeout_s=0.5), redis_clients(timeout_s=2.0)
        settings: dict[str, object] = {
            "key_prefix": f"t-{request.node.name}:",
            "inline_max_bytes": 1024,
            "shared_dir": None,
            "claim_after_s": 0.3,
            "block_s": 0.1,
            **options,
        }
        return RedisJobQueue(shared, waiting, **settings)  # type: ignore[arg-type]

    return make


async def take(queue: RedisJobQueue, lane: str = "ingest", within_s: float = 3.0):  # type: ignore[no-untyped-def]
    """The next delivery, waiting through empty polls."""
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        if (got := await queue.take(lane)) is not None:  # type: ignore[arg-type]
            return got
    return None


async def test_a_job_put_on_one_replica_is_taken_once_by_another(replica: QueueFactory) -> None:
    a, b, c = replica(), replica(), replica()
    await a.put("j1", "ingest", b"input one")
    got = await take(b)
    assert got is not None
    assert got.job_id == "j1"
    assert got.deliveries == 1
    assert await c.take("ingest") is None  # handed out once
    assert await c.load("j1") == b"input one"  # any replica reads the input
    await b.done(got)
    with pytest.raises(NotFound):
        await a.load("j1")
    await asyncio.sleep(0.5)
    assert await c.take("ingest") is None  # acknowledged: never handed out again


async def test_lanes_are_separate_queues(replica: QueueFactory) -> None:
    a = replica()
    await a.put("r1", "reindex", b"x")
    assert await a.take("ingest") is None
    got = await take(a, "reindex")
    assert got is not None
    assert (got.job_id, got.lane) == ("r1", "reindex")


async def test_a_job_whose_runner_stopped_keeping_it_is_claimed_by_another(
    replica: QueueFactory,
) -> None:
    dead, alive = replica(), replica()
    await dead.put("j1", "ingest", b"payload")
    first = await take(dead)
    assert first is not None
    assert await alive.take("ingest") is None  # not idle long enough yet
    await asyncio.sleep(0.4)  # past claim_after_s without a heartbeat: the runner died
    second = await take(alive)
    assert second is not None
    assert second.job_id == "j1"
    assert second.deliveries == 2
    assert await alive.load("j1") == b"payload"
    assert not await dead.keep(first)  # the old runner learns it lost the job
    assert await alive.keep(second)


async def test_a_kept_job_is_never_claimed(replica: QueueFactory) -> None:
    runner, other = replica(), replica()
    await runner.put("j1", "ingest", b"payload")
    got = await take(runner)
    assert got is not None
    for _ in range(8):  # 0.8 s, well past claim_after_s, with a heartbeat every 0.1 s
        await asyncio.sleep(0.1)
        assert await runner.keep(got)
        assert await other.take("ingest") is None


async def test_a_released_job_is_taken_at_once_by_another_replica(replica: QueueFactory) -> None:
    leaving, staying = replica(), replica()
    await leaving.put("j1", "ingest", b"payload")
    got = await take(leaving)
    assert got is not None
    await leaving.release(got)  # a graceful shutdown: no claim timeout to wait for
    again = await take(staying, within_s=0.25)
    assert again is not None
    assert again.job_id == "j1"
    assert await staying.load("j1") == b"payload"


async def test_inputs_over_the_redis_limit_go_to_the_shared_dir(
    replica: QueueFactory, tmp_path: Path
) -> None:
    a = replica(shared_dir=tmp_path / "shared")
    b = replica(shared_dir=tmp_path / "shared")
    big = b"x" * 5000
    await a.put("big", "ingest", big)
    assert (tmp_path / "shared" / "job-inputs" / "big.msgpack").read_bytes() == big
    got = await take(b)
    assert got is not None
    assert await b.load("big") == big
    await b.done(got)
    assert not (tmp_path / "shared" / "job-inputs" / "big.msgpack").exists()


async def test_an_input_that_fits_nowhere_is_a_413_and_nothing_is_queued(
    replica: QueueFactory,
) -> None:
    a = replica()
    with pytest.raises(PayloadTooLarge) as raised:
        await a.put("big", "ingest", b"x" * 5000)
    assert raised.value.status_code == 413
    assert "storage.shared_dir" in raised.value.detail
    assert await a.take("ingest") is None


async def test_the_queue_survives_redis_losing_its_group(
    replica: QueueFactory, redis_server: RedisServer, request: pytest.FixtureRequest
) -> None:
    a = replica()
    await a.put("j1", "ingest", b"one")
    flusher = aioredis.Redis.from_url(redis_server.url)
    try:  # as if Redis restarted without persistence (only this test's keys: Redis is shared)
        await flusher.delete(f"t-{request.node.name}:jobq:ingest")
    finally:
        await flusher.aclose()
    assert await a.take("ingest") is None  # the group is made again, not an endless error
    await a.put("j2", "ingest", b"two")
    got = await take(a)
    assert got is not None
    assert got.job_id == "j2"


async def test_consumers_of_processes_long_gone_are_forgotten(
    replica: QueueFactory, redis_server: RedisServer, request: pytest.FixtureRequest
) -> None:
    busy, gone = replica(claim_after_s=30), replica(claim_after_s=30)
    await gone.put("j0", "ingest", b"done before it stopped")
    finished = await take(gone)
    assert finished is not None
    await gone.done(finished)  # gone ran a job, then its process stopped: nothing pending
    await busy.put("j1", "ingest", b"payload")
    assert await take(busy) is not None  # busy has a job pending: it must stay
    stream = f"t-{request.node.name}:jobq:ingest"
    raw = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        before = {c["name"] for c in await raw.xinfo_consumers(stream, "runners")}
        assert {busy.consumer, gone.consumer} <= before
        survivor = replica(forget_consumers_after_s=0.3, claim_after_s=30)
        await asyncio.sleep(0.5)
        assert await survivor.take("ingest") is None
        after = {c["name"] for c in await raw.xinfo_consumers(stream, "runners")}
    finally:
        await raw.aclose()
    assert busy.consumer in after
    assert gone.consumer not in after
