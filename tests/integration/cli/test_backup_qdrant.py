"""``ragmono backup create|list|restore`` in server mode, against a Qdrant twin (or real Qdrant).

Sync tests: each command runs its own event loop (asyncio.run), as it does from a shell.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from ragmono.adapters.qdrant.remote.server import ServerVectorStore
from ragmono.cli import main
from tests.support.qdrant_cluster import nodes
from tests.support.qdrant_twin import QdrantTwin
from tests.support.vector_data import points, spec

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect:UserWarning")


@pytest.fixture
def twin() -> Iterator[QdrantTwin]:
    with nodes() as made:
        if made.real:
            pytest.skip("drops every collection: twins only (a real server may be shared)")
        yield made.twin()


def _cli(twin: QdrantTwin, backups: Path, *args: str) -> Result:
    env = {"RAGMONO_VECTOR_STORE__MODE": "server", "RAGMONO_VECTOR_STORE__URL": twin.url}
    return CliRunner().invoke(main, ["backup", *args, "--dir", str(backups)], env=env)


async def _seed(url: str) -> int:
    store = ServerVectorStore(url)
    await store.create_collection(spec("docs"))
    batch = await points()
    await store.upsert("docs", batch)
    await store.close()
    return len(batch)


async def _count(url: str) -> int:
    store = ServerVectorStore(url)
    try:
        return await store.count("docs")
    finally:
        await store.close()


def test_create_list_restore_over_qdrant_snapshots(twin: QdrantTwin, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    seeded = asyncio.run(_seed(twin.url))

    created = _cli(twin, backups, "create")
    assert created.exit_code == 0, created.output
    assert f"server  qdrant {twin.version}" in created.output
    backup_id = created.output.split("created  ")[1].split()[0]
    listed = _cli(twin, backups, "list")
    line = next(x for x in listed.output.splitlines() if x.startswith(backup_id))
    assert f"1 collections  {seeded} points" in line

    physical = twin.backend.physical("docs")  # behind the alias "docs"
    for name in (physical, "_ragmono_catalog"):  # Qdrant loses everything (the alias too)
        assert httpx.delete(f"{twin.url}/collections/{name}").status_code == 200

    restored = _cli(twin, backups, "restore", backup_id)
    assert restored.exit_code == 0, restored.output
    assert "checksums ok" in restored.output
    assert asyncio.run(_count(twin.url)) == seeded
