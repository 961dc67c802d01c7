"""``ragmono migrate``: apply pending collection migrations, or list them with --status."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from ragmono.settings import Settings

from .settings_loader import load_cli_settings

__all__ = ["migrate"]


@click.command()
@click.option("--status", is_flag=True, help="List applied and pending migrations; change nothing.")
@click.option("--dir", "directory", help="Migrations directory (migrations.dir).")
@click.option("--data-dir", help="Data directory (storage.data_dir).")
@click.option("--config", "config", help="TOML settings file (default: config/ragmono.toml).")
def migrate(status: bool, directory: str | None, data_dir: str | None, config: str | None) -> None:
    """Apply pending migrations in order, each once; stop at the first failure.

    In embedded mode the data directory has one owner: stop the server first.
    """
    overrides = {
        k: v
        for k, v in (
            ("RAGMONO_STORAGE__DATA_DIR", data_dir),
            ("RAGMONO_MIGRATIONS__DIR", directory),
        )
        if v is not None
    }
    settings = load_cli_settings(config, overrides)
    sys.exit(asyncio.run(_run(settings, status=status)))


async def _run(settings: Settings, *, status: bool) -> int:
    from ragmono.lifespan import migration_ledger, open_vector_store
    from ragmono.migrations import (
        MigrationError,
        MigrationFailed,
        apply_migrations,
        load_migrations,
        migration_status,
    )

    try:
        migrations = load_migrations(Path(settings.migrations.dir))
    except MigrationError as exc:
        click.echo(f"ragmono migrate: {exc}", err=True)
        return 2
    async with open_vector_store(settings) as store:
        ledger = migration_ledger(store)
        if status:
            for row in await migration_status(ledger, migrations):
                mark = "applied" if row.applied else "pending"
                click.echo(f"{mark:8} {row.id}  {row.description}")
            return 0
        try:
            applied = await apply_migrations(
                store, ledger, migrations, on_applied=lambda m: click.echo(f"applied  {m.id}")
            )
        except MigrationFailed as exc:
            click.echo(
                f"ragmono migrate: {exc}; it was not recorded, later ones did not run", err=True
            )
            return 1
    if not applied:
        click.echo("nothing to apply: every migration is applied")
    return 0
