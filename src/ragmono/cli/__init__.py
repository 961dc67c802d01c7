"""The ``ragmono`` command: serve, and the operational subcommands, one file per command group.

Every subcommand loads its settings through :mod:`ragmono.cli.settings_loader`; this file
assembles the group (the ``ragmono = "ragmono.cli:main"`` entry point) and turns failures into
one line and an exit code (:mod:`ragmono.cli.errors`). Command modules import only click at
the top, so ``ragmono --help`` starts without loading the app.
"""

from __future__ import annotations

from typing import Any

import click

from .backup import backup
from .bench import bench
from .errors import EXIT_FAILED, CliError, from_domain
from .ingest import ingest
from .migrate import migrate
from .query import ask, search
from .serve import serve
from .settings_loader import load_cli_settings
from .token import token

__all__ = ["load_cli_settings", "main"]


class _Main(click.Group):
    """The group that prints an expected failure as one line, and anything else briefly."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except CliError as exc:
            if ctx.params.get("debug"):
                raise
            click.echo(f"ragmono: {exc.message}", err=True)
            ctx.exit(exc.code)
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            known = from_domain(exc)
            if known is not None:
                click.echo(f"ragmono: {known.message}", err=True)
                ctx.exit(known.code)
            click.echo(
                f"ragmono: unexpected error: {type(exc).__name__}: {exc} "
                "(run `ragmono --debug ...` for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_FAILED)


@click.group(cls=_Main)
@click.version_option(package_name="ragmono")
@click.option(
    "--debug",
    is_flag=True,
    envvar="RAGMONO_DEBUG",
    help="Show the full traceback when a command fails.",
)
def main(debug: bool) -> None:
    """ragmono: ingest documents, answer questions over them with citations.

    Exit codes: 0 done; 1 some work failed (or an unexpected error); 2 bad usage, setting or
    URL; 3 server unreachable; 4 request refused (401/403/404/409/422/429); 5 server or
    dependency failed (5xx, data directory in use).
    """


for _command in (serve, ingest, ask, search, token, bench, migrate, backup):
    main.add_command(_command)
