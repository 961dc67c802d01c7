"""``ragmono ingest PATH --collection NAME`` in this process: the files found, and the report.

In-process opens the data directory itself, so the server must be stopped (the embedded store
has one owner); ``--url`` uploads to a running server instead (:mod:`.ingest_remote`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import EXIT_REFUSED, EXIT_SERVER, CliError

if TYPE_CHECKING:
    from ragmono.lifespan import Adapters, Services
    from ragmono.modules.ingest import DocumentResult
    from ragmono.settings import Settings

__all__ = ["FileList", "echo_report", "ingest_local", "list_files"]

SKIPPED_SHOWN = 20
"""Skipped files named without ``--verbose``; the rest are counted."""


@dataclass(frozen=True, slots=True)
class FileList:
    """What ``ingest`` sends (file, source name) and what it leaves out (source, reason)."""

    found: list[tuple[Path, str]]
    skipped: list[tuple[str, str]]


def list_files(path: Path) -> FileList:
    """Supported files under ``path`` (or ``path`` itself) with their sources, and the skips."""
    from ragmono.domain.formats import SUPPORTED_EXTENSIONS

    if path.is_file():
        return FileList([(path, path.name)], [])
    found: list[tuple[Path, str]] = []
    skipped: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file = Path(dirpath) / name
            source = file.relative_to(path).as_posix()
            if file.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append((file, source))
            else:
                kind = file.suffix.lower() or "no extension"
                skipped.append((source, f"unsupported type: {kind}"))
    return FileList(found, skipped)


def echo_report(
    counts: dict[str, int],
    skipped: Sequence[tuple[str, str]],
    failures: Sequence[str],
    *,
    verbose: bool,
) -> None:
    """The summary line, every failure (stderr) and the skipped files, named."""
    click.echo(
        f"created {counts['created']}, updated {counts['updated']}, unchanged "
        f"{counts['unchanged']}, failed {counts['failed']}, skipped {len(skipped)} "
        "(unsupported type)"
    )
    for failure in failures:
        click.echo(f"failed: {failure}", err=True)
    shown = skipped if verbose else skipped[:SKIPPED_SHOWN]
    for source, reason in shown:
        click.echo(f"skipped: {source} ({reason})")
    if len(shown) < len(skipped):
        click.echo(f"... and {len(skipped) - len(shown)} more skipped (--verbose lists all)")


def failures_of(results: Sequence[DocumentResult] | Sequence[dict[str, Any]]) -> list[str]:
    """The error of every failed document result (objects in-process, JSON from a server)."""
    errors: list[str] = []
    for r in results:
        as_dict = r if isinstance(r, dict) else {"status": r.status, "error": r.error}
        if as_dict.get("status") == "failed":
            errors.append(str(as_dict.get("error")))
    return errors


async def ensure_local_collection(
    adapters: Adapters, services: Services, collection: str, create: bool
) -> None:
    """The data directory has ``collection``, made now with ``create``; else ``CliError``."""
    if await adapters.vector_store.get_collection(collection) is None:
        if not create:
            raise CliError(
                f"collection {collection!r} does not exist (pass --create)", EXIT_REFUSED
            )
        await services.collections.create(collection)


async def ingest_local(
    settings: Settings,
    path: Path,
    collection: str,
    *,
    create: bool,
    verbose: bool,
    access: Sequence[str] = (),
) -> int:
    """Ingest with the same IngestService as the server; returns the number of failed files."""
    from ragmono.errors import DependencyUnavailable
    from ragmono.lifespan import build_services, open_adapters
    from ragmono.modules.ingest import FileInput

    files = list_files(path)
    try:
        async with open_adapters(settings) as adapters:
            services = build_services(settings, adapters)
            await ensure_local_collection(adapters, services, collection, create)
            inputs = (
                FileInput(name=source, data=file.read_bytes(), access=list(access))
                for file, source in files.found
            )
            label = f"ingesting into {collection}"
            with click.progressbar(length=len(files.found), label=label) as bar:

                async def advance(_: DocumentResult) -> None:
                    bar.update(1)

                report = await services.ingest.write_files(collection, inputs, on_result=advance)
    except DependencyUnavailable as exc:
        hint = (
            ": stop the server first, or pass --url to send the files to it"
            if "in use" in exc.detail
            else ""
        )
        raise CliError(f"{exc.detail}{hint}", EXIT_SERVER) from None
    counts = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": report.failed,
    }
    echo_report(counts, files.skipped, failures_of(report.results), verbose=verbose)
    return report.failed
