"""Which backups a store may restore: mode, engine, Qdrant's one-minor-version rule, nodes."""

from __future__ import annotations

from typing import Any

import pytest

from ragmono.backup import BackupManifest, version_problem


def _manifest(**fields: Any) -> BackupManifest:
    base: dict[str, Any] = {
        "id": "20260301T020000Z",
        "created_at": 0.0,
        "ragmono_version": "0.1.0",
        "mode": "cluster",
        "engine": "qdrant",
        "engine_version": "1.16.2",
        "nodes": ["http://a:6333", "http://b:6333"],
        "collections": [],
        "files": {},
    }
    return BackupManifest(**(base | fields))


@pytest.mark.parametrize("running", ["1.16.2", "1.16.9", "1.17.0", "1.17.3"])
def test_same_or_next_minor_qdrant_restores(running: str) -> None:
    assert (
        version_problem(
            _manifest(), mode="cluster", engine="qdrant", engine_version=running, nodes=2
        )
        is None
    )


@pytest.mark.parametrize(
    ("running", "expected"),
    [
        ("1.16.1", "Qdrant 1.16.2; the running Qdrant 1.16.1 is older"),
        ("1.15.0", "the running Qdrant 1.15.0 is older"),
        ("1.18.0", "Qdrant 1.18.0 is more than one minor version newer"),
        ("2.16.2", "Qdrant 2.16.2 is more than one minor version newer"),
    ],
)
def test_older_or_too_new_qdrant_is_refused_naming_both_versions(
    running: str, expected: str
) -> None:
    problem = version_problem(
        _manifest(), mode="cluster", engine="qdrant", engine_version=running, nodes=2
    )
    assert problem is not None
    assert expected in problem
    assert "1.16.2" in problem


def test_another_mode_or_engine_is_refused() -> None:
    server = version_problem(
        _manifest(), mode="server", engine="qdrant", engine_version="1.16.2", nodes=1
    )
    assert server == "backup is of cluster/qdrant; this store is server/qdrant"
    edge = version_problem(
        _manifest(), mode="embedded", engine="qdrant-edge", engine_version="0.3.0"
    )
    assert edge == "backup is of cluster/qdrant; this store is embedded/qdrant-edge"


def test_a_cluster_backup_needs_as_many_nodes() -> None:
    problem = version_problem(
        _manifest(), mode="cluster", engine="qdrant", engine_version="1.16.2", nodes=3
    )
    assert problem is not None
    assert "snapshots of 2 nodes but this cluster has 3 nodes" in problem


def test_embedded_keeps_its_rule() -> None:
    edge = _manifest(mode="embedded", engine="qdrant-edge", engine_version="0.4.0", nodes=[])
    assert version_problem(edge, mode="embedded", engine_version="0.5.1") is None
    newer = version_problem(edge, mode="embedded", engine_version="0.3.9")
    assert newer is not None
    assert "qdrant-edge 0.4.0" in newer
