"""Static files held in memory, named by a hash of their content so they can be cached for good."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Final

__all__ = ["Asset", "AssetBundle"]

CONTENT_TYPES: Final = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain",
}


@dataclass(frozen=True, slots=True)
class Asset:
    """One file: its bytes, media type and strong ETag."""

    body: bytes
    media_type: str
    etag: str


class AssetBundle:
    """The files under a package folder (recursively), read once.

    ``version`` hashes every name and byte, so a URL that carries it names one exact set of
    files: it may be cached as immutable, and a new release changes every URL at once.
    """

    def __init__(self, root: Traversable, *, only: frozenset[str] | None = None) -> None:
        self._files: dict[str, Asset] = {}
        digest = hashlib.sha256()
        for name, node in sorted(_walk(root, "")):
            suffix = name[name.rfind(".") :] if "." in name else ""
            if suffix not in CONTENT_TYPES or (only is not None and name not in only):
                continue
            body = node.read_bytes()
            digest.update(name.encode() + b"\0" + body + b"\0")
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            self._files[name] = Asset(body, CONTENT_TYPES[suffix], etag)
        self.version = digest.hexdigest()[:12]

    def get(self, name: str) -> Asset | None:
        """The file at this relative path, or None."""
        return self._files.get(name)

    def names(self) -> list[str]:
        """Every relative path held."""
        return sorted(self._files)

    @property
    def total_bytes(self) -> int:
        """Bytes of every file together."""
        return sum(len(a.body) for a in self._files.values())


def _walk(node: Traversable, prefix: str) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for child in node.iterdir():
        name = prefix + child.name
        if child.is_dir():
            found.extend(_walk(child, name + "/"))
        elif child.is_file():
            found.append((name, child))
    return found
