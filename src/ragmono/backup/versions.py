"""Which backups this process can restore: same mode and engine, compatible engine versions.

qdrant-edge (embedded): the same major version, never a newer one. Qdrant server and cluster:
never a snapshot from a newer Qdrant, and at most one minor version newer than the one that
wrote it, since Qdrant guarantees storage compatibility for one minor version only (its
upgrade guide: data of 1.16.x is readable by 1.17.x; older data must be upgraded step by step).
A cluster backup holds one snapshot per node, so it needs a cluster of as many nodes.
"""

from __future__ import annotations

import re

from .manifest import BackupManifest

__all__ = ["version_problem", "version_tuple"]

FORMAT = 1


def version_tuple(version: str) -> tuple[int, ...]:
    """``"1.17.1"`` as ``(1, 17, 1)`` (missing parts are absent, not zero)."""
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def version_problem(
    manifest: BackupManifest,
    *,
    mode: str,
    engine: str = "qdrant-edge",
    engine_version: str,
    nodes: int = 0,
) -> str | None:
    """Why a store of ``mode``/``engine`` at ``engine_version`` cannot restore ``manifest``."""
    if manifest.format != FORMAT:
        return f"backup format {manifest.format} is unknown to this ragmono (knows {FORMAT})"
    if manifest.mode != mode or manifest.engine != engine:
        return f"backup is of {manifest.mode}/{manifest.engine}; this store is {mode}/{engine}"
    ours, theirs = version_tuple(engine_version), version_tuple(manifest.engine_version)
    if engine == "qdrant-edge":
        if theirs > ours or theirs[:1] != ours[:1]:
            return (
                f"backup was written by qdrant-edge {manifest.engine_version}; this ragmono runs "
                f"{engine_version} and reads only the same major version, not newer"
            )
        return None
    if theirs > ours:
        return (
            f"backup was written by Qdrant {manifest.engine_version}; the running Qdrant "
            f"{engine_version} is older and cannot read it: upgrade Qdrant to "
            f"{manifest.engine_version} or newer first"
        )
    if ours[:1] != theirs[:1] or ours[1:2] > tuple(n + 1 for n in theirs[1:2]):
        major, minor = (*theirs, 0, 0)[:2]
        return (
            f"backup was written by Qdrant {manifest.engine_version}; the running Qdrant "
            f"{engine_version} is more than one minor version newer (Qdrant keeps storage "
            f"compatible for one minor version): restore it on Qdrant {major}.{minor}.x or "
            f"{major}.{minor + 1}.x, then upgrade"
        )
    if mode == "cluster" and len(manifest.nodes) != nodes:
        return (
            f"backup holds snapshots of {len(manifest.nodes)} nodes but this cluster has "
            f"{nodes} nodes: each node's snapshot holds only its own shards, so restore it "
            f"on a cluster of {len(manifest.nodes)} nodes"
        )
    return None
