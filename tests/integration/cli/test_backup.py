"""``ragmono backup create|list|restore|prune`` on a real embedded data directory.

Sync tests: each command runs its own event loop (asyncio.run), as it does from a shell.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result

from ragmono.adapters.qdrant.embedded.embedded_store import EmbeddedVectorStore
from ragmono.cli import main
from tests.support.vector_data import points, spec


def _cli(data_dir: Path, backups: Path, *args: str, **env: str) -> Result:
    base = ["--data-dir", str(data_dir), "--dir", str(backups)]
    return CliRunner().invoke(main, ["backup", args[0], *args[1:], *base], env=env)


async def _count(data_dir: Path) -> int | None:
    store = EmbeddedVectorStore(data_dir / "vectors")
    try:
        if await store.get_collection("docs") is None:
            return None
        return await store.count("docs")
    finally:
        await store.close()


async def _seed(data_dir: Path) -> int:
    store = EmbeddedVectorStore(data_dir / "vectors")
    await store.create_collection(spec("docs"))
    batch = await points()
    await store.upsert("docs", batch)
    await store.close()
    return len(batch)


async def _drop(data_dir: Path) -> None:
    store = EmbeddedVectorStore(data_dir / "vectors")
    await store.delete_collection("docs")
    await store.close()


def test_create_list_restore_prune(data_dir: Path, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    seeded = asyncio.run(_seed(data_dir))

    made = _cli(data_dir, backups, "create")
    assert made.exit_code == 0, made.output
    assert "created" in made.stdout
    backup_id = made.stdout.split("created")[1].split()[0]
    listed = _cli(data_dir, backups, "list")
    assert listed.stdout.startswith(backup_id)
    assert f"{seeded} points" in listed.stdout

    asyncio.run(_drop(data_dir))
    assert asyncio.run(_count(data_dir)) is None
    restored = _cli(data_dir, backups, "restore", backup_id)
    assert restored.exit_code == 0, restored.output
    assert "checksums ok" in restored.stdout
    assert asyncio.run(_count(data_dir)) == seeded

    missing = _cli(data_dir, backups, "restore", "20000101T000000Z")
    assert missing.exit_code == 1
    assert "does not exist" in missing.stderr

    kept = _cli(data_dir, backups, "prune", RAGMONO_BACKUP__KEEP_DAYS="0")
    assert "0 removed, 1 kept" in kept.stdout  # keep_last (7) protects it
    gone = _cli(
        data_dir,
        backups,
        "prune",
        RAGMONO_BACKUP__KEEP_DAYS="0",
        RAGMONO_BACKUP__KEEP_LAST="0",
    )
    assert f"removed  {backup_id}" in gone.stdout
    assert _cli(data_dir, backups, "list").stdout == ""
