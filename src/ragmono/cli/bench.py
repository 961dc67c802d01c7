"""``ragmono bench``: the load test of ``benchmarks/run.py`` from a source checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

__all__ = ["bench"]


@click.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Load test (benchmarks/run.py, as `make bench`); run from a source checkout."""
    if not Path("benchmarks/run.py").is_file():
        click.echo(
            "ragmono: bench runs from a source checkout (no benchmarks/run.py here)", err=True
        )
        sys.exit(2)
    # The user's own options to our own interpreter and module: nothing untrusted.
    sys.exit(subprocess.call([sys.executable, "-m", "benchmarks.run", *args]))  # noqa: S603
