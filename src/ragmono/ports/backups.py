"""The backup medium port: what differs per vector-store mode when backing up and restoring.

:class:`~ragmono.backup.BackupService` keeps ids, the lock, manifests, checksums, retention and
verification for every mode; a medium only writes the data files into a directory and puts
them back. Embedded mode copies the data directory under paused writes; server and cluster
modes download Qdrant snapshots of every collection from every node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

__all__ = ["BackupMedium", "CollectionEntry"]


class CollectionEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One collection in a backup."""

    name: str
    points: int


class BackupMedium(Protocol):
    """Writes a store's data into a backup directory and restores it from one."""

    mode: str
    """The vector-store mode it backs up: ``embedded``, ``server`` or ``cluster``."""
    engine: str
    """``qdrant-edge`` (embedded) or ``qdrant`` (server and cluster)."""

    @property
    def nodes(self) -> list[str]:
        """Where the data lives: node URLs without credentials ([] for a local directory)."""
        ...

    async def engine_versions(self) -> list[str]:
        """The engine version of each node (one entry for a local engine)."""
        ...

    async def write(self, into: Path) -> list[CollectionEntry]:
        """Write every data file under ``into`` (an empty directory); the collections saved.

        On failure nothing is left behind on the servers (files in ``into`` are the caller's).
        """
        ...

    async def restore(
        self, source: Path, files: Mapping[str, str], collections: Sequence[CollectionEntry]
    ) -> None:
        """Replace the store's data with the verified backup in ``source``.

        ``files`` maps each path relative to ``source`` to its sha256; the caller has already
        checked them. ``source`` is left as it was. The store serves the result without restart.
        """
        ...
