"""Collection snapshots for the Qdrant twin: create, list, download, delete, upload+recover.

Each node keeps its own snapshot files, like a real node's snapshot directory. A snapshot body
is the twin's own serialization (gzip'd JSON of the collection's create request, payload
indexes and points): ragmono treats snapshots as opaque bytes. Paths, query parameters, the
multipart field ``snapshot``, the envelope and status codes are Qdrant's.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from qdrant_client import models

if TYPE_CHECKING:
    from tests.support.qdrant_twin import QdrantTwin, TwinBackend

__all__ = [
    "SNAPSHOT_FILE",
    "Reply",
    "download",
    "snapshot_create",
    "snapshot_delete",
    "snapshot_list",
    "upload",
]


class Reply(Exception):
    """An error answer: HTTP status and Qdrant's ``status.error`` text."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _require(b: TwinBackend, name: str) -> None:
    if not b.engine.collection_exists(name):
        raise ValueError(f"Collection {name} not found")


SNAPSHOT_FILE = re.compile(r"^/collections/([^/]+)/snapshots/([^/]+)$")


def _serialize(b: TwinBackend, name: str) -> bytes:
    """The collection as one opaque body: its create request, indexes and every point."""
    _require(b, name)
    points: list[Any] = []
    offset: Any = None
    while True:
        records, offset = b.engine.scroll(
            name, limit=256, offset=offset, with_payload=True, with_vectors=True
        )
        points.extend(
            r.model_dump(mode="json", include={"id", "vector", "payload"}) for r in records
        )
        if offset is None:
            break
    doc = {"config": b.created[name], "indexes": b.indexes[name], "points": points}
    return gzip.compress(json.dumps(doc).encode())


def _recover(b: TwinBackend, name: str, data: bytes) -> None:
    """Replace collection ``name`` with the one serialized in ``data``."""
    try:
        doc = json.loads(gzip.decompress(data))
    except (OSError, ValueError) as exc:
        raise Reply(400, f"Wrong input: Snapshot is not a valid archive: {exc}") from exc
    if b.engine.collection_exists(name):
        b.engine.delete_collection(name)
    request = models.CreateCollection(**doc["config"])
    b.engine.create_collection(
        name, vectors_config=request.vectors, sparse_vectors_config=request.sparse_vectors
    )
    b.created[name], b.indexes[name] = doc["config"], doc["indexes"]
    points = [
        models.PointStruct(id=p["id"], vector=p["vector"] or {}, payload=p["payload"])
        for p in doc["points"]
    ]
    for start in range(0, len(points), 256):
        b.engine.upsert(name, points=points[start : start + 256])


def _describe(name: str, data: bytes) -> dict[str, Any]:
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    checksum = hashlib.sha256(data).hexdigest()
    return {"name": name, "creation_time": stamp, "size": len(data), "checksum": checksum}


def snapshot_create(twin: QdrantTwin, b: TwinBackend, name: str, body: Any) -> Any:
    data = _serialize(b, name)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")
    taken = twin.snapshots.setdefault(name, {})
    snapshot = f"{name}-{twin.port}-{stamp}-{len(taken)}.snapshot"
    taken[snapshot] = data
    return _describe(snapshot, data)


def snapshot_list(twin: QdrantTwin, b: TwinBackend, name: str, body: Any) -> Any:
    _require(b, name)
    return [_describe(n, d) for n, d in sorted(twin.snapshots.get(name, {}).items())]


def snapshot_delete(twin: QdrantTwin, b: TwinBackend, name: str, snap: str, body: Any) -> Any:
    if twin.snapshots.get(name, {}).pop(snap, None) is None:
        raise Reply(404, f"Not found: Snapshot {snap} not found")
    return True


def download(twin: QdrantTwin, path: str) -> bytes:
    found = SNAPSHOT_FILE.match(path)
    assert found is not None
    name, snap = found.groups()
    data = twin.snapshots.get(name, {}).get(snap)
    if data is None:
        raise Reply(404, f"Not found: Snapshot file {snap} does not exist")
    return data


def upload(twin: QdrantTwin, path: str, query: dict[str, str], ctype: str, raw: bytes) -> None:
    """``POST /collections/{c}/snapshots/upload``: recover from the multipart ``snapshot``."""
    found = SNAPSHOT_FILE.match(path)
    if found is None or found.group(2) != "upload":
        raise Reply(404, f"Not found: no route POST {path}")
    priority = query.get("priority", "replica")
    if priority not in ("snapshot", "replica", "no_sync"):
        raise Reply(400, f"Wrong input: unknown priority {priority!r}")
    if not ctype.startswith("multipart/form-data"):
        raise Reply(400, "Wrong input: expected multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
    parts = [
        p
        for p in message.iter_parts()
        if p.get_param("name", header="content-disposition") == "snapshot"
    ]
    if not parts:
        raise Reply(400, "Wrong input: multipart field 'snapshot' is missing")
    data = parts[0].get_payload(decode=True)
    assert isinstance(data, bytes)
    expected = query.get("checksum")
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise Reply(400, "Wrong input: Snapshot checksum mismatch")
    with twin.backend.lock:
        _recover(twin.backend, found.group(1), data)
