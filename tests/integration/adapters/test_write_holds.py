"""The write gate across replicas: two gates (two replicas) sharing one ``WriteHolds``, the
in-process twin and Redis (a real redis-server). A writer on one waits while the other holds
the collection, and a holder waits for the other's writer already under way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from ragmono.adapters.redis_client import open_redis
from ragmono.adapters.redis_write_holds import RedisWriteHolds
from ragmono.adapters.write_holds_memory import MemoryWriteHolds
from ragmono.errors import Conflict, DependencyUnavailable
from ragmono.modules.ingest import WriteGate
from ragmono.ports import WriteHolds
from tests.support.redis_server import RedisServer


@pytest.fixture(params=["memory", "redis"])
async def holds(request: pytest.FixtureRequest) -> AsyncIterator[WriteHolds]:
    if request.param == "memory":
        yield MemoryWriteHolds()
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    client = open_redis(server.url, timeout_s=0.5)
    yield RedisWriteHolds(client, key_prefix=f"t{uuid.uuid4().hex[:8]}:")
    await client.aclose()


def _gates(holds: WriteHolds) -> tuple[WriteGate, WriteGate]:
    return WriteGate(holds, poll_s=0.005), WriteGate(holds, poll_s=0.005)


async def test_a_hold_on_one_replica_makes_writers_on_another_wait(holds: WriteHolds) -> None:
    a, b = _gates(holds)
    events: list[str] = []

    async def write() -> None:
        async with b.writing("docs"):
            events.append("b wrote")

    async with a.held("docs"):
        events.append("a holds")
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.1)
        events.append("a switches")
    await asyncio.wait_for(writer, 5)
    assert events == ["a holds", "a switches", "b wrote"]
    async with a.writing("other"), b.held("docs"):  # another collection is not held
        pass


async def test_a_holder_waits_for_another_replicas_writer_under_way(holds: WriteHolds) -> None:
    a, b = _gates(holds)
    events: list[str] = []
    writing = asyncio.Event()

    async def write() -> None:
        async with b.writing("docs"):
            writing.set()
            await asyncio.sleep(0.1)
            events.append("b wrote")

    writer = asyncio.create_task(write())
    await writing.wait()
    async with a.held("docs"):
        events.append("a holds")
    await writer
    assert events == ["b wrote", "a holds"]


async def test_fencing_tokens_and_a_lost_hold(holds: WriteHolds) -> None:
    first = await holds.hold("docs", "a", 0.05)
    assert first is not None
    assert await holds.hold("docs", "a", 0.05) == first  # a renewal keeps the token
    assert await holds.hold("docs", "b", 0.05) is None
    assert await holds.enter("docs", "w", 1.0) is False
    await asyncio.sleep(0.1)  # a stalled past its TTL
    second = await holds.hold("docs", "b", 5.0)
    assert second is not None
    assert second > first
    await holds.release("docs", "a")  # not a's any more: nothing happens
    assert await holds.hold("docs", "a", 1.0) is None
    await holds.release("docs", "b")
    assert await holds.enter("docs", "w", 0.05) is True
    assert await holds.writers("docs") == 1
    await asyncio.sleep(0.1)
    assert await holds.writers("docs") == 0  # a writer that died expires


async def test_a_holder_that_lost_its_hold_is_told_before_it_switches(holds: WriteHolds) -> None:
    a = WriteGate(holds, hold_ttl_s=0.15, poll_s=0.005)
    async with a.held("docs"):
        a.check_held("docs")
        await holds.release("docs", a._owner)  # as if it expired and another replica took it
        assert await holds.hold("docs", "another replica", 5.0) is not None
        await asyncio.sleep(0.15)  # the next renewal finds another token
        with pytest.raises(Conflict):
            a.check_held("docs")


class DownHolds:
    """Redis down: every call fails as the adapter reports it."""

    async def enter(self, collection: str, writer: str, ttl_s: float) -> bool:
        raise DependencyUnavailable("redis", "down")

    async def leave(self, collection: str, writer: str) -> None:
        raise DependencyUnavailable("redis", "down")

    async def hold(self, collection: str, owner: str, ttl_s: float) -> int | None:
        raise DependencyUnavailable("redis", "down")

    async def writers(self, collection: str) -> int:
        raise DependencyUnavailable("redis", "down")

    async def release(self, collection: str, owner: str) -> None:
        raise DependencyUnavailable("redis", "down")


async def test_without_redis_the_gate_holds_this_process_only() -> None:
    gate = WriteGate(DownHolds(), poll_s=0.005)
    events: list[str] = []

    async def write() -> None:
        async with gate.writing("docs"):
            events.append("wrote")

    async with gate.held("docs"):
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.05)
        events.append("switched")
        gate.check_held("docs")
    await asyncio.wait_for(writer, 5)
    assert events == ["switched", "wrote"]
