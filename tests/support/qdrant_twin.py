"""A small real HTTP server speaking Qdrant's REST API, for tests (no Qdrant server runs here).

Requests arrive over TCP exactly as ``AsyncQdrantClient`` sends them to a Qdrant node. Bodies are
parsed with qdrant-client's own pydantic models and executed by its local engine (the engine of
``location=":memory:"``), or relayed to a real node given as ``upstream``. Answers use Qdrant's
envelope and status codes (404 missing, 409 duplicate, 400 bad input, 503 unavailable).
Aliases work as in Qdrant: every collection route resolves them, and dropping a collection
drops its aliases. Several twins can share one :class:`TwinBackend`, which plays a replicated
cluster: a write through one node is read through another. Each twin can be made to fail like
a real node:

- ``"unavailable"``: every request (``/readyz`` too) answers 503;
- ``"hang"``: requests are read and never answered (the client times out);
- ``"down"``: the listening socket is closed (connection refused) until :meth:`up`.

``requests`` records what reached the node, so tests can count calls a dead node received.

Collection snapshots (create, list, download, delete, upload with ``priority``) follow Qdrant's
REST API; each node keeps its own files (see ``qdrant_twin_snapshots``).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from qdrant_client import QdrantClient, models

from tests.support import qdrant_twin_snapshots as snapshots

Mode = str  # "ok" | "unavailable" | "hang" | "down"
PROBE_PATHS = frozenset({"/", "/readyz", "/healthz", "/livez"})


_Reply = snapshots.Reply


class TwinBackend:
    """The data every twin node serves: qdrant-client's local engine behind one lock."""

    def __init__(self) -> None:
        self.engine = QdrantClient(location=":memory:")
        self.lock = threading.Lock()
        self.created: dict[str, dict[str, Any]] = {}
        """Body of each create-collection request (shard_number, replication_factor, ...)."""
        self.indexes: dict[str, dict[str, str]] = {}
        """Payload indexes per collection (the local engine ignores them; a server keeps them)."""

    def physical(self, name: str) -> str:
        """The collection ``name`` is, or that the alias ``name`` points at."""
        aliases: dict[str, str] = self.engine._client.aliases  # type: ignore[attr-defined]
        return aliases.get(name, name)


class QdrantTwin:
    """One twin node on 127.0.0.1; ``url`` is what ragmono is configured with."""

    def __init__(
        self,
        backend: TwinBackend | None = None,
        *,
        version: str = "1.17.1",
        upstream: str | None = None,
    ) -> None:
        self.backend = backend or TwinBackend()
        self.version = version
        self.upstream = upstream
        """When set, healthy requests are relayed to this real Qdrant node instead."""
        self.fail_paths: dict[str, int] = {}
        """Path regex -> HTTP status answered instead (a node failing one kind of call)."""
        self.fail_calls: dict[tuple[str, str], int] = {}
        """(method, path regex) -> HTTP status answered instead (only that method fails)."""
        self.mode: Mode = "ok"
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.snapshots: dict[str, dict[str, bytes]] = {}
        """This node's snapshot files: collection -> snapshot name -> body."""
        self._release = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def data_calls(self) -> int:
        """Requests that reached this node, health probes and version checks excluded."""
        return sum(1 for _, path, _ in self.requests if path not in PROBE_PATHS)

    def set_mode(self, mode: Mode) -> None:
        """Switch behaviour; leaving ``hang`` lets held requests go (unanswered)."""
        if mode == "down":
            self.down()
            return
        if self._server is None:
            self.up()
        self.mode = mode
        if mode == "hang":
            self._release.clear()
        else:
            self._release.set()

    def up(self) -> None:
        """Listen (again, on the same port) and answer normally."""
        self.mode = "ok"
        self._release.set()
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        server.block_on_close = False
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused until :meth:`up`."""
        self.mode = "down"
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        # A dead process takes its open (keep-alive) connections with it.
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    close = down


class Blackhole:
    """A TCP port that completes handshakes and never reads or answers (a frozen process)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def close(self) -> None:
        """Release the port."""
        self._sock.close()


def closed_port_url() -> str:
    """A URL on which nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _handler_for(twin: QdrantTwin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            twin._connections.add(self.connection)

        def finish(self) -> None:
            twin._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            twin.requests.append((self.command, parts.path, query))
            if twin.mode == "hang":
                twin._release.wait(timeout=30)
                self.close_connection = True
                return
            if twin.mode == "unavailable":
                self._send(503, {"status": {"error": "Service unavailable: twin"}, "time": 0})
                return
            failing = list(twin.fail_paths.items()) + [
                (pattern, status)
                for (method, pattern), status in twin.fail_calls.items()
                if method == self.command
            ]
            for pattern, status in failing:
                if re.search(pattern, parts.path):
                    self._send(status, {"status": {"error": "Service error: twin"}, "time": 0})
                    return
            if twin.upstream is not None:
                self._relay(twin.upstream, raw)
                return
            if parts.path == "/readyz":
                self._send_text(200, "all shards are ready")
                return
            if parts.path == "/":  # the one answer Qdrant sends without its envelope
                self._send(200, {"title": "qdrant - vector search engine", "version": twin.version})
                return
            if snapshots.SNAPSHOT_FILE.match(parts.path) and self.command in ("GET", "POST"):
                self._snapshot_file(parts.path, query, raw)
                return
            started = time.perf_counter()
            try:
                body = json.loads(raw) if raw else {}
                result = _route(twin, self.command, parts.path, body)
                payload = {"result": result, "status": "ok", "time": time.perf_counter() - started}
                self._send(200, payload)
            except _Reply as reply:
                self._send(reply.status, {"status": {"error": reply.error}, "time": 0})

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _handle

        def _relay(self, upstream: str, raw: bytes) -> None:
            keep = {"content-type", "api-key", "authorization"}
            headers = {k: v for k, v in self.headers.items() if k.lower() in keep}
            answer = httpx.request(
                self.command,
                upstream.rstrip("/") + self.path,
                content=raw,
                headers=headers,
                timeout=30,
            )
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        def _snapshot_file(self, path: str, query: dict[str, str], raw: bytes) -> None:
            """Download (GET, binary body) or upload-and-recover (POST, multipart)."""
            started = time.perf_counter()
            try:
                if self.command == "GET":
                    data = snapshots.download(twin, path)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                snapshots.upload(twin, path, query, self.headers.get("Content-Type", ""), raw)
                payload = {"result": True, "status": "ok", "time": time.perf_counter() - started}
                self._send(200, payload)
            except _Reply as reply:
                self._send(reply.status, {"status": {"error": reply.error}, "time": 0})

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_text(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _dump(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("GET", r"^/collections$", "list"),
        ("GET", r"^/collections/([^/]+)$", "info"),
        ("GET", r"^/collections/([^/]+)/exists$", "exists"),
        ("PUT", r"^/collections/([^/]+)$", "create"),
        ("DELETE", r"^/collections/([^/]+)$", "drop"),
        ("PUT", r"^/collections/([^/]+)/index$", "index"),
        ("PUT", r"^/collections/([^/]+)/points$", "upsert"),
        ("POST", r"^/collections/([^/]+)/points$", "retrieve"),
        ("POST", r"^/collections/([^/]+)/points/delete$", "delete"),
        ("POST", r"^/collections/([^/]+)/points/payload$", "set_payload"),
        ("POST", r"^/collections/([^/]+)/points/query$", "query"),
        ("POST", r"^/collections/([^/]+)/points/scroll$", "scroll"),
        ("POST", r"^/collections/([^/]+)/points/count$", "count"),
        ("POST", r"^/collections/aliases$", "update_aliases"),
        ("GET", r"^/aliases$", "aliases"),
        ("GET", r"^/collections/([^/]+)/aliases$", "collection_aliases"),
        ("POST", r"^/collections/([^/]+)/snapshots$", "snapshot_create"),
        ("GET", r"^/collections/([^/]+)/snapshots$", "snapshot_list"),
        ("DELETE", r"^/collections/([^/]+)/snapshots/([^/]+)$", "snapshot_delete"),
    ]
]


def _route(twin: QdrantTwin, method: str, path: str, body: dict[str, Any]) -> Any:
    for verb, pattern, name in _ROUTES:
        found = pattern.match(path)
        if verb == method and found:
            handler: Callable[..., Any] = _HANDLERS[name]
            backend = twin.backend
            with backend.lock:
                try:
                    return handler(twin, backend, *found.groups(), body)
                except ValueError as exc:
                    message = str(exc)
                    if "not found" in message:
                        missing = found.group(1) if found.groups() else "?"
                        error = f"Not found: Collection `{missing}` doesn't exist!"
                        raise _Reply(404, error) from exc
                    if "already exists" in message:
                        raise _Reply(409, f"Wrong input: {message}") from exc
                    raise _Reply(400, f"Wrong input: {message}") from exc
    raise _Reply(404, f"Not found: no route {method} {path}")


def _require(backend: TwinBackend, name: str) -> None:
    if not backend.engine.collection_exists(name):
        raise ValueError(f"Collection {name} not found")


def _create(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> bool:
    request = models.CreateCollection(**body)
    b.engine.create_collection(
        name, vectors_config=request.vectors, sparse_vectors_config=request.sparse_vectors
    )
    b.created[name], b.indexes[name] = body, {}
    return True


def _resolve(b: TwinBackend, name: str) -> str:
    """The collection an alias points at (Qdrant resolves aliases in every collection route)."""
    return b.physical(name)


def _update_aliases(twin: QdrantTwin, b: TwinBackend, body: dict[str, Any]) -> bool:
    actions = models.ChangeAliasesOperation(**body).actions
    for action in actions:  # Qdrant: 404 when an alias would point at a missing collection
        if isinstance(action, models.CreateAliasOperation):
            target = action.create_alias.collection_name
            if target not in b.created:
                raise ValueError(f"Collection {target} not found")
    b.engine.update_collection_aliases(change_aliases_operations=actions)
    return True


def _index(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    _require(b, name)
    name = _resolve(b, name)
    request = models.CreateFieldIndex(**body)
    b.indexes[name][request.field_name] = str(request.field_schema)
    return {"operation_id": 0, "status": "completed"}


def _info(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    info = b.engine.get_collection(name).model_dump(mode="json")
    name = _resolve(b, name)
    info["payload_schema"] = {
        field: {"data_type": schema, "points": 0}
        for field, schema in b.indexes.get(name, {}).items()
    }
    return info


def _upsert(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    _require(b, name)
    b.engine.upsert(name, points=models.PointsList(**body).points)
    return {"operation_id": 0, "status": "completed"}


def _delete(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    _require(b, name)
    selector: Any = (
        models.FilterSelector(**body) if "filter" in body else models.PointIdsList(**body)
    )
    b.engine.delete(name, points_selector=selector)
    return {"operation_id": 0, "status": "completed"}


def _set_payload(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    _require(b, name)
    request = models.SetPayload(**body)
    selector: Any = (
        models.FilterSelector(filter=request.filter)
        if request.filter is not None
        else models.PointIdsList(points=request.points or [])
    )
    b.engine.set_payload(name, payload=request.payload, points=selector, key=request.key)
    return {"operation_id": 0, "status": "completed"}


def _query(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    r = models.QueryRequest(**body)
    response = b.engine.query_points(
        name,
        query=r.query,
        using=r.using,
        prefetch=r.prefetch,
        query_filter=r.filter,
        limit=r.limit or 10,
        with_payload=r.with_payload if r.with_payload is not None else False,
        score_threshold=r.score_threshold,
    )
    return _dump(response)


def _scroll(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    r = models.ScrollRequest(**body)
    records, nxt = b.engine.scroll(
        name,
        scroll_filter=r.filter,
        limit=r.limit or 10,
        offset=r.offset,
        with_payload=r.with_payload if r.with_payload is not None else True,
    )
    return {"points": _dump(records), "next_page_offset": nxt}


def _retrieve(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> Any:
    r = models.PointRequest(**body)
    with_payload = r.with_payload if r.with_payload is not None else True
    return _dump(b.engine.retrieve(name, r.ids, with_payload=with_payload, with_vectors=False))


def _drop(twin: QdrantTwin, b: TwinBackend, name: str, body: dict[str, Any]) -> bool:
    b.created.pop(name, None)
    b.indexes.pop(name, None)
    return b.engine.delete_collection(name)


_HANDLERS: dict[str, Callable[..., Any]] = {
    "snapshot_create": snapshots.snapshot_create,
    "snapshot_list": snapshots.snapshot_list,
    "snapshot_delete": snapshots.snapshot_delete,
    "list": lambda t, b, body: _dump(b.engine.get_collections()),
    "info": _info,
    "exists": lambda t, b, name, body: {"exists": b.engine.collection_exists(name)},
    "create": _create,
    "drop": _drop,
    "index": _index,
    "upsert": _upsert,
    "retrieve": _retrieve,
    "delete": _delete,
    "set_payload": _set_payload,
    "query": _query,
    "scroll": _scroll,
    "update_aliases": _update_aliases,
    "aliases": lambda t, b, body: _dump(b.engine.get_aliases()),
    "collection_aliases": lambda t, b, name, body: _dump(b.engine.get_collection_aliases(name)),
    "count": lambda t, b, name, body: _dump(
        b.engine.count(name, count_filter=models.CountRequest(**body).filter, exact=True)
    ),
}
