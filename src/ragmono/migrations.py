"""Numbered collection migrations: load them from a directory, list them, apply pending ones.

Each file ``NNNN_<what>.py`` defines ``ID`` (its file stem), ``DESCRIPTION`` and
``async def up(store: VectorStore) -> None`` that uses only the vector-store port. A migration is
recorded in the ledger only after its ``up`` returned, and the run stops at the first failure,
so the ledger never claims a migration that did not finish.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from ragmono.ports import MigrationLedger, VectorStore

__all__ = [
    "Migration",
    "MigrationError",
    "MigrationFailed",
    "MigrationStatus",
    "apply_migrations",
    "load_migrations",
    "migration_status",
]

log = structlog.get_logger(__name__)
_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.py$")


class MigrationError(ValueError):
    """A migration file is malformed (missing ID/DESCRIPTION/up, duplicate or wrong ID)."""


class MigrationFailed(RuntimeError):
    """A migration's ``up`` raised; it is not recorded and later ones did not run."""

    def __init__(self, migration_id: str, cause: BaseException) -> None:
        super().__init__(f"migration {migration_id} failed: {type(cause).__name__}: {cause}")
        self.migration_id = migration_id
        self.cause = cause


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered migration file, loaded."""

    id: str
    description: str
    up: Callable[[VectorStore], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """Whether one known migration has been applied to the store."""

    id: str
    description: str
    applied: bool


def load_migrations(directory: Path) -> list[Migration]:
    """Every ``NNNN_*.py`` in ``directory``, in number order; a missing directory has none."""
    if not directory.is_dir():
        return []
    found: list[Migration] = []
    for path in sorted(p for p in directory.iterdir() if _FILE.match(p.name)):
        found.append(_load_one(path))
    numbers = [m.id[:4] for m in found]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise MigrationError(f"{directory}: two migrations share the number {duplicates[0]}")
    return found


def _load_one(path: Path) -> Migration:
    spec = importlib.util.spec_from_file_location(f"ragmono_migration_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mid, description, up = (getattr(module, n, None) for n in ("ID", "DESCRIPTION", "up"))
    if mid != path.stem:
        raise MigrationError(f"{path}: ID must be {path.stem!r}, found {mid!r}")
    if not isinstance(description, str) or not description:
        raise MigrationError(f"{path}: DESCRIPTION must be a non-empty string")
    if not inspect.iscoroutinefunction(up):
        raise MigrationError(f"{path}: must define `async def up(store: VectorStore) -> None`")
    return Migration(id=mid, description=description, up=up)


async def migration_status(
    ledger: MigrationLedger, migrations: list[Migration]
) -> list[MigrationStatus]:
    """Each known migration and whether the ledger records it."""
    applied = set(await ledger.applied())
    return [MigrationStatus(m.id, m.description, m.id in applied) for m in migrations]


async def apply_migrations(
    store: VectorStore,
    ledger: MigrationLedger,
    migrations: list[Migration],
    *,
    on_applied: Callable[[Migration], None] | None = None,
) -> list[str]:
    """Apply the pending migrations in order, each once; the ids applied by this call.

    Raises :class:`MigrationFailed` naming the first migration whose ``up`` raised.
    """
    done = set(await ledger.applied())
    applied: list[str] = []
    for migration in migrations:
        if migration.id in done:
            continue
        log.info("migration_started", migration=migration.id)
        try:
            await migration.up(store)
        except Exception as exc:
            log.error("migration_failed", migration=migration.id, error=str(exc))
            raise MigrationFailed(migration.id, exc) from exc
        await ledger.record(migration.id)
        applied.append(migration.id)
        log.info("migration_applied", migration=migration.id)
        if on_applied is not None:
            on_applied(migration)
    return applied
