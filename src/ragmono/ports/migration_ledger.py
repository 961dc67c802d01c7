"""The migration-ledger port: which numbered migrations a data store has had applied."""

from __future__ import annotations

from typing import Protocol


class MigrationLedger(Protocol):
    """The record of applied migrations that lives with the data (catalog or metadata collection).

    A migration is recorded only after its ``up`` step succeeded, so the ledger never claims a
    migration that did not run to the end.
    """

    async def applied(self) -> list[str]:
        """Ids of the applied migrations, in the order they were applied."""
        ...

    async def record(self, migration_id: str) -> None:
        """Add ``migration_id`` to the ledger (recording it twice keeps one entry)."""
        ...
