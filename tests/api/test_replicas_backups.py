"""Scheduled backups with three replicas sharing Redis and one Qdrant server (#22): each slot
of the schedule produces exactly one backup across the three, and the slots keep coming when
a replica is killed.

The schedule has a slot every 3 seconds (croniter's sixth field is seconds). Each replica
keeps its own backup directory here, so whose backup it was shows.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.qdrant_twin import QdrantTwin
from tests.support.redis_server import RedisServer
from tests.support.replicas import replica, shared_qdrant, shared_redis

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")

EVERY_S = 3
SCHEDULE = f"* * * * * */{EVERY_S}"
__all__ = ["shared_qdrant", "shared_redis"]  # fixtures


def _backups(server: LiveServer) -> list[float]:
    """Creation times of the finished backups this replica took (its manifests on disk)."""
    return [
        json.loads(manifest.read_text())["created_at"]
        for manifest in (server.data_dir / "backups").glob("*/manifest.json")
        if not manifest.parent.name.endswith(".partial")
    ]


def _slots(created: list[float]) -> list[int]:
    return sorted(int(c // EVERY_S) for c in created)


def test_each_slot_is_backed_up_by_exactly_one_replica(
    tmp_path: Path, shared_redis: RedisServer, shared_qdrant: QdrantTwin
) -> None:
    env = {"RAGMONO_BACKUP__SCHEDULE": SCHEDULE}
    servers = [
        replica(tmp_path, name, shared_redis, shared_qdrant, **env) for name in ("a", "b", "c")
    ]
    try:
        time.sleep(4 * EVERY_S + 0.5)
        servers[0].kill()  # dies without a word; the others go on claiming slots
        killed = time.time()
        time.sleep(4 * EVERY_S + 0.5)
        per_replica = [_backups(s) for s in servers]
        created = [c for times in per_replica for c in times]
        slots = _slots(created)
        assert len(slots) == len(set(slots)), slots  # never two backups in one slot
        after = [s for s in slots if s * EVERY_S > killed + 0.5]
        assert len(after) >= 3, (slots, killed)  # the survivors kept the schedule
        # one slot in a row may go by under load (a backup still running), never two
        assert all(b - a <= 2 for a, b in itertools.pairwise(after)), after
    finally:
        for server in servers:
            server.stop()
