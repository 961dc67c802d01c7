"""Migration ledgers over the two catalogs: catalog.json (embedded) and ``_ragmono_catalog``."""

from __future__ import annotations

from .embedded.file_catalog import FileCatalog
from .remote.remote_catalog import RemoteCatalog

__all__ = ["FileCatalogLedger", "RemoteCatalogLedger"]


class FileCatalogLedger:
    """:class:`~ragmono.ports.MigrationLedger` in the embedded data directory's catalog.json."""

    def __init__(self, catalog: FileCatalog) -> None:
        self._catalog = catalog

    async def applied(self) -> list[str]:
        """Ids applied to this data directory, in order."""
        return self._catalog.applied_migrations

    async def record(self, migration_id: str) -> None:
        """Append ``migration_id`` unless it is already there; persisted atomically."""
        if migration_id not in self._catalog.applied_migrations:
            self._catalog.record_migration(migration_id)


class RemoteCatalogLedger:
    """:class:`~ragmono.ports.MigrationLedger` in Qdrant's ``_ragmono_catalog`` collection."""

    def __init__(self, catalog: RemoteCatalog) -> None:
        self._catalog = catalog

    async def applied(self) -> list[str]:
        """Ids applied to this Qdrant, in order."""
        return await self._catalog.applied_migrations()

    async def record(self, migration_id: str) -> None:
        """Record ``migration_id`` (idempotent)."""
        await self._catalog.record_migration(migration_id)
