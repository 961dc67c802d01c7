"""Server directories for POST .../sync: confinement to the allowed roots, and the scan.

A path is accepted only when it resolves (symlinks followed) inside one of
``ingest.allowed_roots``; ``..`` components are refused outright. While scanning, files and
folders that are symlinks pointing out of the root are refused too, and dot-files skipped.
A synced document's ``source`` is its path relative to the root, and ``metadata.sync_root``
names the root, so orphans are found among that root's documents only.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ragmono.errors import Forbidden, InvalidInput

from .parsing import supported

__all__ = [
    "Selector",
    "SyncFile",
    "SyncScan",
    "SyncTarget",
    "document_id_for_sync",
    "resolve",
    "scan",
    "scan_paths",
    "selector",
]

Selector = Callable[[str], bool]
"""Whether a file, by its path relative to the synced directory, is to be ingested."""

FIELD = "body.path"


@dataclass(frozen=True, slots=True)
class SyncTarget:
    """A directory to sync and the allowed root it lies in (both resolved)."""

    root: Path
    directory: Path

    @property
    def prefix(self) -> str:
        """The directory relative to the root, as sources are written ('' for the root)."""
        rel = self.directory.relative_to(self.root).as_posix()
        return "" if rel == "." else rel + "/"


@dataclass(frozen=True, slots=True)
class SyncFile:
    """A file found by the scan; ``problem`` says why it cannot be read (None when fine)."""

    path: Path
    source: str
    size: int
    problem: str | None = None
    mtime: float = 0.0
    """When the file was last modified (unix time)."""


@dataclass(frozen=True, slots=True)
class SyncScan:
    """What a scan found: candidate files (sorted by source) and unsupported files skipped."""

    files: list[SyncFile]
    skipped: int


def resolve(path: str, allowed_roots: list[str]) -> SyncTarget:
    """The target of ``path`` (absolute, or relative to an allowed root), or a 403/422."""
    if not allowed_roots:
        raise Forbidden("sync is disabled: ingest.allowed_roots is empty", field=FIELD)
    if not path.strip():
        raise InvalidInput("path must not be empty", field=FIELD)
    if "\x00" in path:  # the OS refuses it with a ValueError, not an OSError
        raise InvalidInput("path must not contain a NUL character", field=FIELD)
    if ".." in PurePosixPath(path).parts:
        raise InvalidInput("path must not contain '..'", field=FIELD)
    roots = [Path(r).expanduser().resolve() for r in allowed_roots]
    candidates = [Path(path)] if Path(path).is_absolute() else [root / path for root in roots]
    for candidate in candidates:
        real = candidate.resolve()
        for root in roots:
            if real == root or root in real.parents:
                if not real.is_dir():
                    raise InvalidInput(f"{path} is not a directory", field=FIELD)
                return SyncTarget(root=root, directory=real)
    raise Forbidden(f"{path} is outside the allowed roots", field=FIELD)


def selector(patterns: Iterable[str], ignore: Iterable[str]) -> Selector:
    """A :data:`Selector` from globs (``*`` also matches ``/``, so ``*.md`` matches ``a/b.md``)."""
    wanted, unwanted = list(patterns), list(ignore)

    def accept(rel: str) -> bool:
        if any(fnmatch.fnmatchcase(rel, glob) for glob in unwanted):
            return False
        return not wanted or any(fnmatch.fnmatchcase(rel, glob) for glob in wanted)

    return accept


def _everything(rel: str) -> bool:
    return True


def scan(target: SyncTarget, *, max_file_bytes: int, accept: Selector = _everything) -> SyncScan:
    """Every readable-looking file under the target, without following links out of the root."""
    files, skipped = _walk(target, target.directory, max_file_bytes, accept)
    files.sort(key=lambda f: f.source)
    return SyncScan(files=files, skipped=skipped)


def scan_paths(
    target: SyncTarget, paths: Iterable[str], *, max_file_bytes: int, accept: Selector
) -> tuple[SyncScan, list[str]]:
    """The files at or under ``paths`` (relative to the target directory; gone ones give none),
    and those paths as sources (relative to the root): the scopes whose documents may go."""
    found: dict[str, SyncFile] = {}
    scopes: list[str] = []
    skipped = 0
    for rel in paths:
        parts = PurePosixPath(rel).parts
        if not parts or ".." in parts or any(p.startswith(".") for p in parts):
            continue
        path = target.directory / rel
        source = path.relative_to(target.root).as_posix()
        scopes.append(source)
        if path.is_dir():
            real = path.resolve()
            if real != target.root and target.root not in real.parents:
                continue  # a folder linked from outside the root: nothing in it is read
            files, skipped_here = _walk(target, path, max_file_bytes, accept)
            skipped += skipped_here
            found.update((f.source, f) for f in files)
        elif path.is_file() or path.is_symlink():
            if not supported(path.name):
                skipped += 1
            elif accept(path.relative_to(target.directory).as_posix()):
                found[source] = _inspect(path, source, target.root, max_file_bytes)
    files = sorted(found.values(), key=lambda f: f.source)
    return SyncScan(files=files, skipped=skipped), scopes


def _walk(
    target: SyncTarget, top: Path, max_file_bytes: int, accept: Selector
) -> tuple[list[SyncFile], int]:
    files: list[SyncFile] = []
    skipped = 0
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if not supported(name):
                skipped += 1
                continue
            if not accept(path.relative_to(target.directory).as_posix()):
                continue
            source = path.relative_to(target.root).as_posix()
            files.append(_inspect(path, source, target.root, max_file_bytes))
    return files, skipped


def _inspect(path: Path, source: str, root: Path, max_file_bytes: int) -> SyncFile:
    real = path.resolve()
    if real != root and root not in real.parents:
        return SyncFile(path, source, 0, "symbolic link points outside the allowed root")
    try:
        stat = real.stat()
    except OSError as exc:
        return SyncFile(path, source, 0, f"cannot read: {exc.strerror}")
    size = stat.st_size
    if size > max_file_bytes:
        return SyncFile(path, source, size, f"{size} bytes is over the limit of {max_file_bytes}")
    return SyncFile(path, source, size, mtime=stat.st_mtime)


def document_id_for_sync(root: Path, source: str) -> str:
    """Stable id of a synced file: the same file in another root is another document."""
    return hashlib.sha256(f"sync:{root}:{source}".encode()).hexdigest()[:32]
