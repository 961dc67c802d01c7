"""Settings: frozen msgspec Structs loaded as defaults < TOML file < ``RAGMONO_*`` environment.

The key names are public contract (design section 8). Every key can be overridden from the
environment as ``RAGMONO_<SECTION>__<KEY>`` (top-level keys as ``RAGMONO_<KEY>``); list values
are given as JSON (``["a","b"]``) or comma-separated (``a,b``).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ragmono.errors import SettingsError

__all__ = [
    "AuthSettings",
    "BackupSettings",
    "BreakerOverride",
    "BreakerSettings",
    "CacheSettings",
    "CompatSettings",
    "CorsSettings",
    "EmbedderSettings",
    "GeneratorSettings",
    "IngestSettings",
    "LoggingSettings",
    "MetricsSettings",
    "MigrationSettings",
    "OllamaSettings",
    "RateLimitSettings",
    "RedisSettings",
    "ReindexSettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "StorageSettings",
    "VectorStoreSettings",
    "load_settings",
]

ENV_PREFIX = "RAGMONO_"
CONFIG_ENV = "RAGMONO_CONFIG"
"""Names the TOML file for the ASGI entry point (``ragmono serve --config``); not a setting."""

PositiveFloat = Annotated[float, Meta(gt=0)]
Port = Annotated[int, Meta(ge=0, le=65535)]


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every settings section: immutable, strict about unknown keys."""


class ServerSettings(_Section, frozen=True):
    host: str = "127.0.0.1"
    """Interface to bind."""
    port: Port = 8000
    """TCP port to listen on (0 picks a free one)."""
    workers: Annotated[int, Meta(ge=1, le=64)] = 1
    """granian worker processes; embedded vector-store mode requires 1 (one owner per directory)."""
    max_body_bytes: Annotated[int, Meta(ge=1024)] = 10 * 1024 * 1024
    """Largest JSON request body accepted; larger bodies get 413."""
    max_upload_bytes: Annotated[int, Meta(ge=1024)] = 50 * 1024 * 1024
    """Largest multipart upload accepted (all files together); larger uploads get 413."""
    hsts: bool = False
    """Send Strict-Transport-Security (enable only behind TLS)."""
    root_path: Annotated[str, Meta(pattern=r"^(/[A-Za-z0-9._~-]+)*$")] = ""
    """Public path prefix when a reverse proxy serves the app under one and strips it before
    forwarding (``/rag``; empty: none). The console's and the API docs' links and calls use it;
    a trusted proxy (``rate_limit.trusted_proxies``) may instead send ``X-Forwarded-Prefix``."""


class StorageSettings(_Section, frozen=True):
    data_dir: str = "./data"
    """Where the embedded vector store, the catalog and job inputs live."""
    shared_dir: str = ""
    """With replicas sharing Redis: a directory every replica mounts at this same path, for job
    inputs larger than ``ingest.job_input_redis_max_bytes``; empty: such jobs are refused (413)."""


class VectorStoreSettings(_Section, frozen=True):
    mode: Literal["embedded", "server", "cluster"] = "embedded"
    """embedded: qdrant-edge in-process; server: one Qdrant URL; cluster: several node URLs."""
    url: str = ""
    """Qdrant URL for server mode."""
    urls: list[str] = msgspec.field(default_factory=list)
    """Node URLs for cluster mode."""
    api_key: str = ""
    """Qdrant API key (server and cluster modes)."""
    timeout_s: PositiveFloat = 5.0
    """Timeout of each vector-store call."""
    prefer_grpc: bool = False
    """Use gRPC instead of REST to talk to Qdrant."""
    shard_number: Annotated[int, Meta(ge=0)] = 0
    """Shards per collection in cluster mode; 0 means twice the node count."""
    replication_factor: Annotated[int, Meta(ge=1)] = 2
    """Copies of each shard in cluster mode."""
    write_consistency_factor: Annotated[int, Meta(ge=1)] = 1
    """Replicas that must confirm a write in cluster mode."""
    read_consistency: Literal["all", "majority", "quorum", "1"] = "1"
    """Read consistency in cluster mode."""
    health_interval_s: PositiveFloat = 5.0
    """How often each cluster node's /readyz is probed."""


class EmbedderSettings(_Section, frozen=True):
    provider: Literal["local", "ollama", "openai"] = "local"
    """local: all-MiniLM-L6-v2 int8 ONNX in-process; ollama: /api/embed; openai: any
    OpenAI-compatible server's /v1/embeddings (``[openai]``)."""
    model: str = "all-MiniLM-L6-v2"
    """Embedding model name."""
    dimensions: Annotated[int, Meta(ge=0)] = 0
    """Vector size; 0 means the model's own (384 for all-MiniLM-L6-v2)."""
    batch_size: Annotated[int, Meta(ge=1, le=1024)] = 32
    """Texts per embedding call (one Ollama request); the local model also caps each run at 512
    padded word pieces (2 full chunks), its fastest on CPU."""
    query_lane: bool = True
    """local: queries get their own ONNX session and thread, so a search never waits behind an
    ingest's model runs; false: one queue for both (as before; for comparison)."""
    threads: Annotated[int, Meta(ge=0, le=64)] = 0
    """local: intra-op threads of the ingest session; 0 is one per core, less one for the query
    lane when it is on (the lane always uses one)."""


class GeneratorSettings(_Section, frozen=True):
    provider: Literal["extractive", "ollama", "openai"] = "extractive"
    """extractive: answers built from the best passages (no LLM); ollama: /api/chat; openai:
    any OpenAI-compatible server's /v1/chat/completions (``[openai]``)."""
    model: str = ""
    """LLM name for the ollama and openai providers."""
    keep_alive: str = "5m"
    """How long Ollama keeps the model loaded after a call."""
    temperature: Annotated[float, Meta(ge=0, le=2)] = 0.1
    """Sampling temperature."""
    max_tokens: Annotated[int, Meta(ge=1)] = 512
    """Most tokens generated per answer."""


class OllamaSettings(_Section, frozen=True):
    url: str = "http://127.0.0.1:11434"
    """Base URL of the Ollama server."""
    timeout_s: PositiveFloat = 30.0
    """Timeout of each Ollama call (the client's own default is none)."""


class OpenAISettings(_Section, frozen=True):
    base_url: str = "http://127.0.0.1:8080/v1"
    """Base URL of an OpenAI-compatible server, ``/v1`` included (vLLM, llama.cpp's server,
    LM Studio, ``https://api.openai.com/v1``)."""
    api_key: str = ""
    """Its API key (sent as ``Authorization: Bearer``); empty for servers that need none."""
    timeout_s: PositiveFloat = 30.0
    """Timeout of each call (the breakers ``openai_embed`` / ``openai_generate`` use it)."""
    top_p: Annotated[float, Meta(gt=0, le=1)] = 1.0
    """Nucleus sampling for the openai generator (temperature and max_tokens are in
    ``[generator]``)."""


class RedisSettings(_Section, frozen=True):
    url: str = ""
    """redis:// URL; empty keeps cache, rate limits and jobs in-process."""
    timeout_s: PositiveFloat = 0.5
    """Socket timeout of each Redis call."""
    key_prefix: str = "ragmono:"
    """Prefix of every key written."""


class AuthSettings(_Section, frozen=True):
    service_tokens: list[str] = msgspec.field(default_factory=list)
    """Accepted X-Service-Token values, each ``token`` or ``token:scope+scope`` (none: all),
    optionally followed by ``#label,label`` (access labels; none: public documents only)."""
    jwt_secret: str = ""
    """HS256 shared secret for bearer tokens."""
    jwks_url: str = ""
    """JWKS URL for RS256/ES256 bearer tokens."""
    issuer: str = ""
    """Required ``iss`` claim (empty: not checked)."""
    audience: str = ""
    """Required ``aud`` claim (empty: not checked)."""
    leeway_s: Annotated[int, Meta(ge=0, le=300)] = 30
    """Clock skew tolerated on exp/nbf/iat."""
    metrics_token: str = ""
    """If set, GET /metrics requires ``Authorization: Bearer <token>``."""
    jwks_cache_s: PositiveFloat = 300.0
    """How long keys fetched from ``jwks_url`` are used before they are fetched again."""
    jwks_min_refresh_s: Annotated[float, Meta(ge=0)] = 10.0
    """Least time between two JWKS fetches caused by an unknown ``kid`` (bounds abuse)."""
    jwks_timeout_s: PositiveFloat = 5.0
    """Timeout of one JWKS fetch."""
    jwt_user_claim: str = "sub"
    """JWT claim whose value becomes the caller's ``user:<value>`` access label ("": none)."""
    jwt_groups_claim: str = "groups"
    """JWT claim (list or space-separated) whose items become ``group:<g>`` labels."""
    jwt_tenant_claim: str = "tenant"
    """JWT claim whose value becomes the caller's ``tenant:<value>`` label."""
    jwt_access_claim: str = "access"
    """JWT claim listing access labels as they are (``access:all`` reads everything)."""


class RateLimitSettings(_Section, frozen=True):
    enabled: bool = True
    """Apply per-client rate limits to /api/v1."""
    default: Annotated[str, Meta(pattern=r"^\d+/(second|minute|hour|day)$")] = "100/minute"
    """Requests allowed per client and route group, as ``N/unit``."""
    routes: dict[str, str] = msgspec.field(default_factory=dict)
    """Per route-group overrides, e.g. ``{"ingest" = "10/minute"}``."""
    trusted_proxies: list[str] = msgspec.field(default_factory=list)
    """Networks whose X-Forwarded-For / Forwarded headers are believed."""
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    """The one header the trusted proxies write the client address to (the other is ignored,
    since a proxy passes a client-written header through untouched)."""
    exempt_loopback: bool | None = None
    """Do not limit clients whose address is loopback (127.0.0.0/8, ::1). Unset: on in the
    ``dev`` profile (one person on their own machine, e.g. an evaluation loop), off in ``prod``.
    Behind a proxy on the same host, list it in ``trusted_proxies`` so clients are not seen as
    loopback."""


class CorsSettings(_Section, frozen=True):
    allow_origins: list[str] = msgspec.field(default_factory=list)
    """Origins allowed by CORS; empty disables CORS."""
    allow_methods: list[str] = msgspec.field(
        default_factory=lambda: ["GET", "POST", "PATCH", "DELETE"]
    )
    """Methods allowed by CORS."""
    allow_headers: list[str] = msgspec.field(
        default_factory=lambda: ["Authorization", "Content-Type", "X-Request-ID", "X-Service-Token"]
    )
    """Request headers allowed by CORS."""
    allow_credentials: bool = False
    """Allow credentials on CORS requests."""


class BreakerOverride(_Section, frozen=True):
    fail_max: Annotated[int, Meta(ge=1)] | None = None
    """Consecutive failures that open this breaker."""
    reset_timeout_s: PositiveFloat | None = None
    """Seconds open before one half-open trial call."""
    timeout_s: PositiveFloat | None = None
    """Timeout of each call through this breaker."""


class BreakerSettings(_Section, frozen=True):
    fail_max: Annotated[int, Meta(ge=1)] = 5
    """Consecutive failures that open a breaker."""
    reset_timeout_s: PositiveFloat = 30.0
    """Seconds a breaker stays open before one half-open trial call."""
    ollama_embed: BreakerOverride = msgspec.field(default_factory=BreakerOverride)
    """Overrides for the embedding breaker."""
    ollama_generate: BreakerOverride = msgspec.field(default_factory=BreakerOverride)
    """Overrides for the generation breaker."""
    openai_embed: BreakerOverride = msgspec.field(default_factory=BreakerOverride)
    """Overrides for the OpenAI-compatible embedding breaker."""
    openai_generate: BreakerOverride = msgspec.field(default_factory=BreakerOverride)
    """Overrides for the OpenAI-compatible generation breaker."""
    qdrant: BreakerOverride = msgspec.field(default_factory=BreakerOverride)
    """Overrides for the vector-store breaker(s)."""
    redis: BreakerOverride = msgspec.field(default_factory=BreakerOverride)
    """Overrides for the Redis breaker."""


class BackupSettings(_Section, frozen=True):
    dir: str = "./data/backups"
    """Where backups are written."""
    schedule: str = "0 2 * * *"
    """Cron expression (local time) of scheduled backups; empty disables the schedule."""
    keep_days: Annotated[int, Meta(ge=0)] = 30
    """Backups older than this are pruned..."""
    keep_last: Annotated[int, Meta(ge=0)] = 7
    """...but the newest this many are always kept."""
    snapshot_timeout_s: PositiveFloat = 600.0
    """Server and cluster modes: longest time one snapshot create, download or upload may take."""


class MigrationSettings(_Section, frozen=True):
    dir: str = "./migrations"
    """Directory of the numbered migration files (0001_*.py ...) applied by ``ragmono migrate``."""
    apply_on_start: bool = False
    """Apply pending migrations when the app starts (a failure stops the start-up)."""


class LoggingSettings(_Section, frozen=True):
    level: Literal["debug", "info", "warning", "error"] = "info"
    """Lowest level logged."""
    format: Literal["auto", "json", "console"] = "auto"
    """auto: console on a TTY, JSON otherwise."""


class MetricsSettings(_Section, frozen=True):
    enabled: bool = True
    """Time every request and serve GET /metrics (Prometheus); false removes both."""


class WatchEntry(_Section, frozen=True):
    path: Annotated[str, Meta(min_length=1)]
    """The folder to watch: absolute, or relative to one of ``ingest.allowed_roots``."""
    collection: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")]
    """The collection its files are ingested into (it must exist)."""
    patterns: list[str] = msgspec.field(default_factory=list)
    """Globs a file's path relative to the folder must match (empty: every supported file)."""
    ignore: list[str] = msgspec.field(default_factory=list)
    """Globs of paths relative to the folder that are never ingested."""
    access: list[str] = msgspec.field(default_factory=list)
    """Access labels every document of the folder gets (README, Access control)."""


class IngestSettings(_Section, frozen=True):
    chunk_size: Annotated[int, Meta(ge=32, le=8192)] = 250
    """Default chunk size in word-piece tokens for new collections. all-MiniLM-L6-v2 reads 256
    word pieces including [CLS] and [SEP]; a longer chunk's tail would never be embedded."""
    chunk_overlap: Annotated[int, Meta(ge=0, le=4096)] = 32
    """Default overlap between chunks in tokens."""
    async_threshold_bytes: Annotated[int, Meta(ge=0)] = 256 * 1024
    """Requests with more text than this become a background job (202)."""
    allowed_roots: list[str] = msgspec.field(default_factory=list)
    """Server directories that POST .../sync may read; empty disables sync."""
    batch_chunks: Annotated[int, Meta(ge=1, le=4096)] = 128
    """Chunks embedded and written together; jobs report progress and stop between batches."""
    job_workers: Annotated[int, Meta(ge=1, le=16)] = 1
    """Background ingest jobs run at the same time."""
    job_retention_s: Annotated[int, Meta(ge=0)] = 7 * 86400
    """Finished jobs (and their saved inputs) are forgotten after this long."""
    idempotency_ttl_s: Annotated[int, Meta(ge=1)] = 86400
    """How long a POST's first result is replayed for a retry with the same Idempotency-Key."""
    max_document_chars: Annotated[int, Meta(ge=1)] = 2_000_000
    """Characters one document may have (a long book is about 1.5 million); longer ones are
    refused with 413 before any job starts."""
    max_pdf_pages: Annotated[int, Meta(ge=1)] = 2000
    """PDFs with more pages are refused (422)."""
    max_decoded_bytes: Annotated[int, Meta(ge=1024)] = 64 * 1024 * 1024
    """Most bytes a file may decompress or extract to (PDF streams, DOCX parts): zip-bomb guard."""
    parse_timeout_s: PositiveFloat = 60.0
    """Most seconds spent extracting one file's text; slower files are refused (422)."""
    watch: list[WatchEntry] = msgspec.field(default_factory=list)
    """Folders watched from start-up (``[[ingest.watch]]`` tables); more can be added at run
    time through ``POST /api/v1/collections/{name}/watches``."""
    watch_debounce_s: Annotated[float, Meta(ge=0.05, le=60)] = 1.0
    """A changed file is ingested once it has had no change for this long (a file still being
    written keeps changing, so it waits)."""
    watch_max_pending: Annotated[int, Meta(ge=100)] = 100_000
    """Changed paths remembered per watch; past this a storm is coalesced into one rescan."""
    job_input_redis_max_bytes: Annotated[int, Meta(ge=0)] = 16 * 1024 * 1024
    """With replicas sharing Redis: job inputs up to this size are kept in Redis, where every
    replica reaches them; larger ones go to ``storage.shared_dir``."""
    job_claim_after_s: Annotated[float, Meta(ge=3, le=3600)] = 30.0
    """With replicas sharing Redis: the replica running a job renews its claim every third of
    this; a job left unrenewed this long (its replica died) is taken over by another replica."""
    watch_lease_s: Annotated[float, Meta(ge=1, le=3600)] = 15.0
    """With replicas sharing Redis, one replica runs each watch under a lease this long, renewed
    every third of it; when that replica dies another takes the watch over once it expires."""


class CacheSettings(_Section, frozen=True):
    ttl_s: Annotated[int, Meta(ge=0)] = 600
    """Lifetime of cached search and query results; 0 disables the cache."""
    max_entries: Annotated[int, Meta(ge=1)] = 10_000
    """Size of the in-process LRU tier."""
    local_ttl_s: Annotated[float, Meta(ge=0)] = 60.0
    """With Redis: how long a result stays in the in-process hot tier (0: always ask Redis)."""


class ReindexSettings(_Section, frozen=True):
    keep_old_hours: Annotated[float, Meta(ge=0)] = 24.0
    """After a reindex switched a collection, its old physical collection is kept this long
    (for a rollback or a check) and then deleted; 0 deletes it right after the switch."""
    batch_chunks: Annotated[int, Meta(ge=1, le=4096)] = 32
    """Chunks embedded again per embedder call. Small batches let searches that use the same
    embedder (its query embeddings queue behind the batch) wait less during a reindex."""


class CompatSettings(_Section, frozen=True):
    seed_api: bool = False
    """Serve the TradingSystem "RAG Services" routes (``/api/v1/rag/*``) its dashboard, k6
    scripts and Postman collections call, translated onto ragmono's own services (README,
    Migrating from TradingSystem RAG Services). Off by default."""
    default_collection: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")] = (
        "documentation"
    )
    """The collection a seed request that names none is served from (the seed's default)."""
    ingest_wait_s: Annotated[float, Meta(ge=0, le=3600)] = 300.0
    """How long ``POST .../collections/{name}/ingest`` waits for its sync job (the seed's
    ingest was synchronous, 300 s); a job still running then is reported as ``RUNNING``."""


class Settings(_Section, frozen=True):
    profile: Literal["dev", "prod"] = "dev"
    """dev or prod; prod refuses to start without auth configured."""
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    storage: StorageSettings = msgspec.field(default_factory=StorageSettings)
    vector_store: VectorStoreSettings = msgspec.field(default_factory=VectorStoreSettings)
    embedder: EmbedderSettings = msgspec.field(default_factory=EmbedderSettings)
    generator: GeneratorSettings = msgspec.field(default_factory=GeneratorSettings)
    ollama: OllamaSettings = msgspec.field(default_factory=OllamaSettings)
    openai: OpenAISettings = msgspec.field(default_factory=OpenAISettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    auth: AuthSettings = msgspec.field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
    cors: CorsSettings = msgspec.field(default_factory=CorsSettings)
    breakers: BreakerSettings = msgspec.field(default_factory=BreakerSettings)
    backup: BackupSettings = msgspec.field(default_factory=BackupSettings)
    migrations: MigrationSettings = msgspec.field(default_factory=MigrationSettings)
    logging: LoggingSettings = msgspec.field(default_factory=LoggingSettings)
    ingest: IngestSettings = msgspec.field(default_factory=IngestSettings)
    cache: CacheSettings = msgspec.field(default_factory=CacheSettings)
    metrics: MetricsSettings = msgspec.field(default_factory=MetricsSettings)
    reindex: ReindexSettings = msgspec.field(default_factory=ReindexSettings)
    compat: CompatSettings = msgspec.field(default_factory=CompatSettings)

    @property
    def data_path(self) -> Path:
        """The data directory as an absolute path."""
        return Path(self.storage.data_dir).expanduser().resolve()

    @property
    def shared_path(self) -> Path | None:
        """``storage.shared_dir`` as an absolute path, or None when unset."""
        shared = self.storage.shared_dir
        return Path(shared).expanduser().resolve() if shared else None


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, then the TOML file at ``path``, then ``RAGMONO_*`` variables.

    Raises :class:`SettingsError` naming the key when a key is unknown or a value is invalid.
    """
    raw: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SettingsError(f"config file not found: {file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"config file {file} is not valid TOML: {exc}") from None
    for name, value in (environ or {}).items():
        if name == CONFIG_ENV or name.startswith(ENV_PREFIX + "TEST_"):
            continue
        if name.startswith(ENV_PREFIX):
            _apply_env(raw, name, value)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {_dotted(exc)}") from None


def _apply_env(raw: dict[str, Any], name: str, value: str) -> None:
    parts = [p.lower() for p in name.removeprefix(ENV_PREFIX).split("__")]
    target = raw
    for part in parts[:-1]:
        nested = target.setdefault(part, {})
        if not isinstance(nested, dict):
            raise SettingsError(f"invalid setting {name}: {part} is not a section")
        target = nested
    target[parts[-1]] = _parse_env_value(parts, value)


def _parse_env_value(parts: list[str], value: str) -> Any:
    stripped = value.strip()
    if stripped.startswith(("[", "{")):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"invalid JSON for {'.'.join(parts)}: {exc}") from None
    if _is_list_field(parts):
        return [item.strip() for item in stripped.split(",") if item.strip()]
    return value


def _is_list_field(parts: list[str]) -> bool:
    node: msgspec.inspect.Type = msgspec.inspect.type_info(Settings)
    for part in parts:
        if not isinstance(node, msgspec.inspect.StructType):
            return False
        field = next((f for f in node.fields if f.name == part), None)
        if field is None:
            return False
        node = field.type
    return isinstance(node, msgspec.inspect.ListType)


def _dotted(exc: msgspec.ValidationError) -> str:
    # msgspec reports paths as `$.server.port`; users write `server.port`.
    return str(exc).replace("`$.", "`").replace("$.", "")
