"""A damaged data directory: nothing is lost, start-up says what is wrong (issue #18, 1/3/5).

The engine's shards are the truth: a missing or truncated ``catalog.json``, or a restore that
died between its renames, stops start-up with one line naming the path (exit code 2) instead
of serving an empty store that a create would then overwrite. Killed backups leave
``<id>.partial`` folders that start-up and prune remove, and count.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ragmono.errors import DamagedData
from tests.conftest import SettingsFactory, app_client

DOCS = "/api/v1/collections/docs/documents"


async def _store_one_document(make_settings: SettingsFactory) -> None:
    async with app_client(make_settings()) as http:
        assert (await http.post("/api/v1/collections", json={"name": "docs"})).status_code == 201
        stored = await http.post(DOCS, json={"documents": [{"id": "d1", "text": "kept text"}]})
        assert stored.status_code == 200, stored.text


def _serve(data_dir: Path) -> subprocess.CompletedProcess[str]:
    """``ragmono serve`` on ``data_dir``; it must stop on its own (a damaged directory)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "ragmono"), "serve", "--port", "0"],
        env={
            **os.environ,
            "RAGMONO_STORAGE__DATA_DIR": str(data_dir),
            "RAGMONO_BACKUP__DIR": str(data_dir / "backups"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def _assert_one_line_naming(result: subprocess.CompletedProcess[str], path: Path) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    # JSON log lines (the auth warning) may come first; the error is one plain line
    lines = [line for line in result.stderr.splitlines() if line.strip()[:1] not in ("", "{")]
    assert len(lines) == 1, lines
    assert str(path) in lines[0]


async def test_missing_catalog_refuses_start_and_keeps_the_shards(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    await _store_one_document(make_settings)
    vectors = data_dir / "vectors"
    (vectors / "catalog.json").unlink()
    with pytest.raises(BaseExceptionGroup) as refused:  # the lifespan's task group wraps it
        async with app_client(make_settings()):
            pass
    damaged = refused.value.subgroup(DamagedData)
    assert damaged is not None
    assert str(vectors / "catalog.json") in str(damaged.exceptions[0])
    assert (vectors / "collections" / "docs").is_dir()
    result = _serve(data_dir)
    _assert_one_line_naming(result, vectors / "catalog.json")
    assert "restore" in result.stderr


async def test_creating_a_collection_never_deletes_data_it_did_not_create(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    await _store_one_document(make_settings)
    shard = data_dir / "vectors" / "collections" / "docs"
    # The catalog lost its entry (written by an older copy, edited by hand): the shard remains.
    (data_dir / "vectors" / "catalog.json").write_text('{"format": 1, "collections": {}}')
    files_before = sorted(p.name for p in shard.rglob("*"))
    async with app_client(make_settings()) as http:
        created = await http.post("/api/v1/collections", json={"name": "docs"})
    assert created.status_code == 409, created.text
    assert "docs" in created.json()["detail"]
    assert str(data_dir) not in created.text
    assert sorted(p.name for p in shard.rglob("*")) == files_before


async def test_truncated_catalog_stops_start_with_one_line_and_exit_code_2(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    await _store_one_document(make_settings)
    catalog = data_dir / "vectors" / "catalog.json"
    catalog.write_bytes(catalog.read_bytes()[:40])
    result = _serve(data_dir)
    _assert_one_line_naming(result, catalog)
    assert "not valid JSON" in result.stderr


async def test_a_restore_that_died_between_its_renames_is_named_at_start(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    await _store_one_document(make_settings)
    vectors = data_dir / "vectors"
    left = vectors / ".replaced-1700000000000000000"
    left.mkdir()
    (vectors / "catalog.json").replace(left / "catalog.json")  # died after moving the catalog
    result = _serve(data_dir)
    _assert_one_line_naming(result, left)
    assert (left / "catalog.json").exists()
    assert (vectors / "collections" / "docs").is_dir()


async def test_partial_backups_are_removed_at_start_and_by_prune_and_counted(
    make_settings: SettingsFactory, data_dir: Path
) -> None:
    backups = data_dir / "backups"
    killed = backups / "20260101T000000Z.partial"
    (killed / "collections").mkdir(parents=True)
    (killed / "collections" / "segment.bin").write_bytes(b"x" * 4096)
    async with app_client(make_settings()) as http:
        assert not killed.exists()
        later = backups / "20260102T000000Z.partial"
        later.mkdir()
        await http.app.state.services.backups.prune(keep_days=30, keep_last=5)
        assert not later.exists()
        metrics = (await http.get("/metrics")).text
    assert "ragmono_backup_partials_removed_total 2.0" in metrics
