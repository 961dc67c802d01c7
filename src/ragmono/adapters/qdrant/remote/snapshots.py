"""Backups in server and cluster modes: Qdrant snapshots of every collection on every node.

A node's collection snapshot holds only the shards on that node, so every collection
(``_ragmono_catalog`` included) is snapshotted on every node, downloaded into
``snapshots/node-<i>/<collection>.snapshot`` with its sha256 checked against the one Qdrant
reports, and deleted on the server again, also when the download failed. Restore uploads each
file back to its node with ``priority=snapshot`` (Qdrant also checks the sha256 it is sent),
drops collections the backup does not know, and re-reads the catalog, so the app serves the
restored collections without a restart.

Snapshot calls get their own clients with ``backup.snapshot_timeout_s``: a snapshot of a large
collection takes far longer than a query, and must neither be cut at the query timeout nor
count against the breakers that guard queries.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import structlog
from qdrant_client import AsyncQdrantClient

from ragmono.errors import Conflict, DependencyUnavailable, NotFound
from ragmono.ports import CollectionEntry, Telemetry

from .calls import call_client
from .nodes import node_label
from .remote_catalog import CATALOG_COLLECTION
from .remote_store import RemoteVectorStore
from .server import open_client

__all__ = ["QdrantSnapshots"]

log = structlog.get_logger(__name__)
T = TypeVar("T")
_FILE = re.compile(r"^snapshots/node-(\d+)/([^/]+)\.snapshot$")
_BLOCK = 1 << 20
_STEPS = {
    "snapshot_create": "creating a snapshot",
    "snapshot_delete": "deleting the snapshot",
    "snapshot_version": "asking the version",
}


@dataclass
class _Node:
    url: str
    label: str
    client: AsyncQdrantClient


def public_url(url: str) -> str:
    """``url`` without user:password (a manifest never holds secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class QdrantSnapshots:
    """:class:`~ragmono.ports.BackupMedium` over a Qdrant server or cluster."""

    engine = "qdrant"

    def __init__(
        self,
        store: RemoteVectorStore,
        urls: Sequence[str],
        *,
        api_key: str = "",
        timeout_s: float = 600.0,
        telemetry: Telemetry | None = None,
    ) -> None:
        if not urls:
            raise ValueError("Qdrant snapshots need at least one node URL")
        self._store = store
        self.mode = store.mode
        self._urls = [u.rstrip("/") for u in urls]
        self._api_key = api_key
        self._timeout_s = timeout_s
        self._telemetry = telemetry

    @property
    def nodes(self) -> list[str]:
        """Every node URL, in settings order, without credentials."""
        return [public_url(u) for u in self._urls]

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[tuple[list[_Node], httpx.AsyncClient]]:
        """Clients for one backup or restore (rare enough not to keep them open between)."""
        nodes = [
            _Node(
                u, node_label(u), open_client(u, api_key=self._api_key, timeout_s=self._timeout_s)
            )
            for u in self._urls
        ]
        headers = {"api-key": self._api_key} if self._api_key else {}
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s, headers=headers) as http:
                yield nodes, http
        finally:
            for node in nodes:
                await node.client.close()

    async def _call(
        self,
        node: _Node,
        fn: Callable[[AsyncQdrantClient], Awaitable[T]],
        collection: str | None,
        operation: str,
    ) -> T:
        try:
            return await call_client(
                None,
                fn,
                node.client,
                timeout_s=self._timeout_s,
                collection=collection,
                telemetry=self._telemetry,
                operation=operation,
            )
        except DependencyUnavailable as exc:  # say which node and which step
            what = _STEPS.get(operation, operation)
            of = f" of {collection}" if collection else ""
            raise DependencyUnavailable(
                "qdrant", f"{what}{of} on {node.label} failed: {exc.detail}"
            ) from exc

    async def engine_versions(self) -> list[str]:
        """The Qdrant version each node reports."""
        async with self._session() as (nodes, _):
            return [
                (await self._call(n, lambda c: c.info(), None, "snapshot_version")).version
                for n in nodes
            ]

    # -- backup ------------------------------------------------------------------------------

    async def write(self, into: Path) -> list[CollectionEntry]:
        """Snapshot, download and verify every collection on every node."""
        specs = await self._store.list_collections()
        # Counted as reported by Qdrant (like GET /collections/{name}), before the snapshots.
        entries = [
            CollectionEntry(name=s.name, points=(await self._store.stats(s.name)).points)
            for s in specs
        ]
        # Physical collections: an API name is an alias, which a snapshot does not carry; the
        # restore points the aliases again from the restored catalog (retained ones are left).
        names = [s.physical for s in specs] + [CATALOG_COLLECTION]
        async with self._session() as (nodes, http):
            for i, node in enumerate(nodes):
                folder = into / "snapshots" / f"node-{i}"
                folder.mkdir(parents=True, exist_ok=True)
                for name in names:
                    await self._save(node, http, name, folder / f"{name}.snapshot")
        return entries

    async def _save(self, node: _Node, http: httpx.AsyncClient, name: str, path: Path) -> None:
        made = await self._call(
            node, lambda c: c.create_snapshot(name, wait=True), name, "snapshot_create"
        )
        if made is None:
            raise DependencyUnavailable("qdrant", f"{node.label} created no snapshot of {name}")
        try:
            digest = await self._download(node, http, name, made.name, path)
            if made.checksum and digest != made.checksum:
                raise DependencyUnavailable(
                    "qdrant",
                    f"snapshot {made.name} of {name} from {node.label} arrived damaged "
                    f"(sha256 {digest[:12]}..., Qdrant says {made.checksum[:12]}...)",
                )
        finally:  # never leave snapshots filling the node's disk
            try:
                await self._call(
                    node,
                    lambda c: c.delete_snapshot(name, made.name, wait=True),
                    name,
                    "snapshot_delete",
                )
            except Exception as exc:  # the backup's own error (if any) matters more
                log.warning(
                    "qdrant_snapshot_cleanup_failed",
                    node=node.label,
                    collection=name,
                    snapshot=made.name,
                    error=str(exc),
                )
        log.info("qdrant_snapshot_saved", node=node.label, collection=name, bytes=made.size)

    async def _download(
        self, node: _Node, http: httpx.AsyncClient, name: str, snapshot: str, path: Path
    ) -> str:
        url = f"{node.url}/collections/{quote(name)}/snapshots/{quote(snapshot)}"
        digest = hashlib.sha256()
        try:
            async with http.stream("GET", url) as answer:
                if answer.status_code != 200:
                    await answer.aread()
                    raise _http_error(node, f"downloading the snapshot of {name}", answer)
                with path.open("wb") as fh:
                    async for block in answer.aiter_bytes(_BLOCK):
                        digest.update(block)
                        fh.write(block)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(
                "qdrant", f"downloading the snapshot of {name} from {node.label} failed: {exc!r}"
            ) from exc
        return digest.hexdigest()

    # -- restore -----------------------------------------------------------------------------

    async def restore(
        self, source: Path, files: Mapping[str, str], collections: Sequence[CollectionEntry]
    ) -> None:
        """Recover every snapshot on its node, drop collections the backup lacks, re-read."""
        plan: dict[str, dict[int, tuple[Path, str]]] = {}
        for rel, sha in files.items():
            found = _FILE.match(rel)
            if found is None or int(found.group(1)) >= len(self._urls):
                raise Conflict(f"backup {source.name}: {rel} belongs to no node here", field="id")
            plan.setdefault(found.group(2), {})[int(found.group(1))] = (source / rel, sha)
        try:
            before = {
                storage
                for s in await self._store.list_collections()
                for storage in (s.physical, *(r.storage for r in s.retained))
            }
        except NotFound:  # the catalog collection itself is gone (Qdrant wiped)
            before = set()
        # The catalog goes last: an entry then never names a collection not yet recovered.
        order = sorted(plan, key=lambda n: (n == CATALOG_COLLECTION, n))
        async with self._session() as (nodes, http):
            for name in order:
                for i, (path, sha) in sorted(plan[name].items()):
                    await self._upload(nodes[i], http, name, path, sha)
        for name in sorted(before - set(plan)):  # created after the backup: not in its catalog
            await self._store.run(partial(_drop, name=name), collection=name, operation="restore")
            log.info("qdrant_restore_dropped", collection=name)
        await self._store.restore_aliases()
        await self._store.reload_catalog()

    async def _upload(
        self, node: _Node, http: httpx.AsyncClient, name: str, path: Path, sha: str
    ) -> None:
        url = f"{node.url}/collections/{quote(name)}/snapshots/upload"
        params = {"priority": "snapshot", "wait": "true", "checksum": sha}
        try:
            with path.open("rb") as fh:
                answer = await http.post(
                    url,
                    params=params,
                    files={"snapshot": (path.name, fh, "application/octet-stream")},
                )
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(
                "qdrant", f"recovering {name} on {node.label} failed: {exc!r}"
            ) from exc
        if answer.status_code != 200:
            raise _http_error(node, f"recovering {name}", answer)
        log.info("qdrant_snapshot_recovered", node=node.label, collection=name)


async def _drop(client: AsyncQdrantClient, *, name: str) -> bool:
    return await client.delete_collection(name)


def _http_error(node: _Node, doing: str, answer: httpx.Response) -> DependencyUnavailable:
    try:
        error = answer.json()["status"]["error"]
    except Exception:
        error = answer.text[:200]
    return DependencyUnavailable(
        "qdrant", f"{doing} on {node.label} failed: HTTP {answer.status_code}: {error}"
    )
