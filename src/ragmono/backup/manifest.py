"""A backup's manifest.json: what it holds, the versions that wrote it, a sha256 per file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from ragmono.ports import CollectionEntry

__all__ = [
    "MANIFEST",
    "BackupManifest",
    "CollectionEntry",
    "read_manifest",
    "sha256_file",
    "verify_files",
    "write_manifest",
]

MANIFEST = "manifest.json"
FORMAT = 1


class BackupManifest(msgspec.Struct, frozen=True, kw_only=True):
    """Everything needed to judge and verify a backup before restoring it."""

    id: str
    created_at: float
    """Unix seconds when the copy was taken."""
    format: int = FORMAT
    mode: str = "embedded"
    """The vector-store mode that wrote it: embedded, server or cluster."""
    ragmono_version: str
    engine: str = "qdrant-edge"
    """``qdrant-edge`` (embedded) or ``qdrant`` (server and cluster)."""
    engine_version: str
    """The newest engine version among the nodes that wrote it."""
    nodes: list[str] = msgspec.field(default_factory=list)
    """Node URLs (no credentials) in server and cluster modes, in settings order."""
    collections: list[CollectionEntry]
    files: dict[str, str]
    """Path relative to the backup directory -> sha256 hex."""
    size_bytes: int = 0


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, manifest: BackupManifest) -> None:
    """Write ``manifest.json`` into ``directory``."""
    (directory / MANIFEST).write_bytes(msgspec.json.format(msgspec.json.encode(manifest)))


def read_manifest(directory: Path) -> BackupManifest:
    """Read ``directory/manifest.json`` (raises ``msgspec.DecodeError`` or ``OSError``)."""
    return msgspec.json.decode((directory / MANIFEST).read_bytes(), type=BackupManifest)


def verify_files(directory: Path, manifest: BackupManifest) -> list[str]:
    """Problems found: files missing, changed or not in the manifest; empty means intact."""
    problems: list[str] = []
    for rel, expected in sorted(manifest.files.items()):
        path = directory / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(path) != expected:
            problems.append(f"{rel}: checksum mismatch")
    present = {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    problems.extend(f"{rel}: not in the manifest" for rel in sorted(present - set(manifest.files)))
    return problems
