"""Watched folders with two replicas sharing Redis (#21): a watch added through one replica is
seen by the other, exactly one of them follows the folder (its lease), and when that replica
is killed the other takes the watch over within the lease time and catches up.

Each replica here has its own embedded store (what each ingested shows whose lease it was);
deployed replicas share a Qdrant server instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.redis_server import RedisServer
from tests.support.watching import add_watch, create_collection, sources, wait_for, write

LEASE_S = 3.0


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


def _replica(tmp_path: Path, name: str, root: Path, redis: RedisServer) -> LiveServer:
    data = tmp_path / name
    data.mkdir()
    env = {
        "RAGMONO_INGEST__ALLOWED_ROOTS": str(root),
        "RAGMONO_INGEST__WATCH_DEBOUNCE_S": "0.3",
        "RAGMONO_INGEST__WATCH_LEASE_S": str(LEASE_S),
        "RAGMONO_REDIS__URL": redis.url,
        "RAGMONO_RATE_LIMIT__ENABLED": "false",
    }
    return LiveServer(data, env).start()


def _kill_tree(server: LiveServer) -> None:
    """SIGKILL ``ragmono serve`` and every process under it (granian's worker holds the lease)."""
    assert server._proc is not None
    pids, todo = [], [server._proc.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if children.exists():
            todo.extend(int(c) for c in children.read_text().split())
    for pid in reversed(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server._proc.wait(10)
    server._proc = None


def _watches(http: httpx.Client) -> list[dict[str, object]]:
    items: list[dict[str, object]] = http.get("/api/v1/collections/docs/watches").json()["items"]
    return items


def test_one_replica_holds_a_watch_and_the_other_takes_it_over(
    tmp_path: Path, redis: RedisServer
) -> None:
    root = tmp_path / "root"
    write(root / "docs" / "a.md", "The first note.")
    first = _replica(tmp_path, "a", root, redis)
    second = _replica(tmp_path, "b", root, redis)
    try:
        with (
            httpx.Client(base_url=first.url, timeout=30) as one,
            httpx.Client(base_url=second.url, timeout=30) as two,
        ):
            create_collection(one, "docs")
            create_collection(two, "docs")
            add_watch(one, "docs", root / "docs")
            wait_for(lambda: len(_watches(two)) == 1, LEASE_S + 2)
            wait_for(lambda: sources(one, "docs") == ["docs/a.md"], 30)
            assert [w["running"] for w in _watches(one)] == [True]
            assert [w["running"] for w in _watches(two)] == [False]

            write(root / "docs" / "b.md", "The second note.")
            wait_for(lambda: sources(one, "docs") == ["docs/a.md", "docs/b.md"], 10)
            assert sources(two, "docs") == []  # the other replica never ran the watch

            _kill_tree(first)  # dies without releasing its lease
            died = time.monotonic()
            write(root / "docs" / "c.md", "The third note, written while nobody watched.")
            wait_for(lambda: [w["running"] for w in _watches(two)] == [True], LEASE_S + 3)
            took_over = time.monotonic() - died
            assert took_over <= LEASE_S + LEASE_S / 3 + 0.5, took_over
            expected = ["docs/a.md", "docs/b.md", "docs/c.md"]
            wait_for(lambda: sources(two, "docs") == expected, 30)

            write(root / "docs" / "d.md", "The fourth note.")
            wait_for(lambda: sources(two, "docs") == [*expected, "docs/d.md"], 10)
    finally:
        first.stop()
        second.stop()
