"""Replicas for scale-out tests (#22): ``ragmono serve`` processes sharing one real
redis-server and one Qdrant server (the HTTP twin), as deployed behind a proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.qdrant_twin import QdrantTwin
from tests.support.redis_server import RedisServer

__all__ = ["replica", "shared_qdrant", "shared_redis"]


@pytest.fixture
def shared_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own (keys never meet another test's)."""
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def shared_qdrant() -> Iterator[QdrantTwin]:
    """A Qdrant node (the twin) of this test's own."""
    node = QdrantTwin()
    yield node
    node.close()


def replica(
    tmp_path: Path, name: str, redis: RedisServer, qdrant: QdrantTwin, **extra: str
) -> LiveServer:
    """One ``ragmono serve`` on the shared Redis and Qdrant (``extra``: more environment),
    started; its data directory is ``tmp_path / name``."""
    data = tmp_path / name
    data.mkdir()
    env = {
        "RAGMONO_REDIS__URL": redis.url,
        "RAGMONO_VECTOR_STORE__MODE": "server",
        "RAGMONO_VECTOR_STORE__URL": qdrant.url,
        "RAGMONO_RATE_LIMIT__ENABLED": "false",
        "RAGMONO_CACHE__LOCAL_TTL_S": "300",
        "RAGMONO_BACKUP__SCHEDULE": "",
        **extra,
    }
    return LiveServer(data, env).start()
