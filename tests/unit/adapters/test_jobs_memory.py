"""The in-process job and idempotency stores."""

from __future__ import annotations

from ragmono.adapters.jobs_memory import MemoryIdempotencyStore, MemoryJobStore
from ragmono.domain import Job


async def test_job_records_are_copies_and_cancel_is_kept_apart() -> None:
    store = MemoryJobStore()
    job = Job(id="j1", kind="documents", collection="docs", created_at=1.0)
    await store.save(job)
    job.state = "running"  # mutating the caller's object does not change the stored record
    assert (await store.get("j1")).state == "queued"  # type: ignore[union-attr]
    await store.request_cancel("j1")
    await store.save(job)  # a progress save after the cancel keeps the flag
    got = await store.get("j1")
    assert got is not None
    assert got.cancel_requested
    assert await store.cancel_requested("j1")
    await store.save(Job(id="j2", kind="sync", collection="docs", created_at=2.0))
    assert [j.id for j in await store.list(10)] == ["j2", "j1"]
    assert [j.id for j in await store.list(1)] == ["j2"]
    await store.delete("j1")
    assert await store.get("j1") is None
    assert not await store.cancel_requested("j1")


async def test_idempotency_values_expire_and_the_oldest_go_first() -> None:
    now = [0.0]
    store = MemoryIdempotencyStore(max_entries=2, clock=lambda: now[0])
    await store.put("a", b"1", ttl_s=10)
    await store.put("b", b"2", ttl_s=10)
    assert await store.get("a") == b"1"
    await store.put("c", b"3", ttl_s=10)  # evicts b, the least recently used
    assert await store.get("b") is None
    now[0] = 11
    assert await store.get("a") is None
    assert await store.get("c") is None
