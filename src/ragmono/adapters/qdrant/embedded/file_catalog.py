"""A JSON file that records each collection's spec next to the embedded shards.

Writes go to a temporary file that is renamed over the old one, so a crash leaves either the
old or the new catalog, never half of one.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from ragmono.domain import CollectionSpec
from ragmono.errors import DamagedData
from ragmono.files import write_atomic


class _CatalogFile(msgspec.Struct, kw_only=True):
    format: int = 1
    collections: dict[str, CollectionSpec] = msgspec.field(default_factory=dict)
    migrations: list[str] = msgspec.field(default_factory=list)


class FileCatalog:
    """Collection specs (and the migration ledger) kept in ``<dir>/catalog.json``."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "catalog.json"
        self._data = self._read()

    def _read(self) -> _CatalogFile:
        try:
            return msgspec.json.decode(self.path.read_bytes(), type=_CatalogFile)
        except FileNotFoundError:
            return _CatalogFile()
        except msgspec.DecodeError as exc:  # truncated, or not JSON at all
            raise DamagedData(
                f"{self.path}: not valid JSON ({exc}); restore it from a backup "
                "(ragmono backup restore) or from a copy"
            ) from None
        except msgspec.ValidationError as exc:
            raise DamagedData(
                f"{self.path}: not a ragmono catalog ({exc}); restore it from a backup "
                "(ragmono backup restore) or from a copy"
            ) from None

    def _write(self) -> None:
        write_atomic(self.path, msgspec.json.format(msgspec.json.encode(self._data)))

    def reload(self) -> None:
        """Read the file again (after a restore replaced it)."""
        self._data = self._read()

    def get(self, name: str) -> CollectionSpec | None:
        """The spec of ``name`` or None."""
        return self._data.collections.get(name)

    def all(self) -> list[CollectionSpec]:
        """Every spec, sorted by name."""
        return [self._data.collections[k] for k in sorted(self._data.collections)]

    def put(self, spec: CollectionSpec) -> None:
        """Insert or replace a spec and persist."""
        self._data.collections[spec.name] = spec
        self._write()

    def remove(self, name: str) -> None:
        """Forget a spec and persist."""
        if self._data.collections.pop(name, None) is not None:
            self._write()

    @property
    def applied_migrations(self) -> list[str]:
        """Ids of the migrations applied to this data directory, in order."""
        return list(self._data.migrations)

    def record_migration(self, migration_id: str) -> None:
        """Append a migration id to the ledger and persist."""
        self._data.migrations.append(migration_id)
        self._write()
