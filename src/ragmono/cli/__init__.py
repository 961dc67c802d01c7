"""The ``ragmono`` command: serve, and the operational subcommands, one file per command group.

Every subcommand loads its settings through :mod:`ragmono.cli.settings_loader`; this file only
assembles the group (the ``ragmono = "ragmono.cli:main"`` entry point).
"""

from __future__ import annotations

import click

from .backup import backup
from .bench import bench
from .ingest import ingest
from .migrate import migrate
from .serve import serve
from .settings_loader import load_cli_settings
from .token import token

__all__ = ["load_cli_settings", "main"]


@click.group()
@click.version_option(package_name="ragmono")
def main() -> None:
    """ragmono: ingest documents, answer questions over them with citations."""


for _command in (serve, ingest, token, bench, migrate, backup):
    main.add_command(_command)
