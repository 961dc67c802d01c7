"""Ports: the Protocols services depend on. Adapters implement them; the lifespan picks one."""

from ragmono.ports.backups import BackupMedium, CollectionEntry
from ragmono.ports.breakers import BreakerControl
from ragmono.ports.cache import Cache, CacheStats
from ragmono.ports.embedder import Embedder, Embedders, PassageEmbedder
from ragmono.ports.file_watcher import FileChange, FileWatcher, WatchEventKind
from ragmono.ports.generator import (
    Answerer,
    AnswerRequest,
    ChatMessage,
    Generator,
    Passage,
    Sampling,
)
from ragmono.ports.idempotency_store import IdempotencyStore
from ragmono.ports.job_queue import Delivery, JobLane, JobQueue
from ragmono.ports.job_store import JobStore
from ragmono.ports.jwks import JwksSource
from ragmono.ports.leases import LeaseStore
from ragmono.ports.migration_ledger import MigrationLedger
from ragmono.ports.models import ModelCatalog, ModelInfo
from ragmono.ports.rate_limit import RateLimitStore, WindowHit
from ragmono.ports.sparse_encoder import SparseEncoder
from ragmono.ports.telemetry import (
    BackupOutcome,
    BackupTrigger,
    BreakerState,
    CacheResult,
    Exposition,
    JobState,
    QueryStage,
    SearchMode,
    Telemetry,
)
from ragmono.ports.vector_store import (
    PausableVectorStore,
    RestorableVectorStore,
    StoredChunk,
    SwitchableVectorStore,
    VectorStore,
)
from ragmono.ports.watch_state import WatchBook
from ragmono.ports.write_holds import WriteHolds

__all__ = [
    "AnswerRequest",
    "Answerer",
    "BackupMedium",
    "BackupOutcome",
    "BackupTrigger",
    "BreakerControl",
    "BreakerState",
    "Cache",
    "CacheResult",
    "CacheStats",
    "ChatMessage",
    "CollectionEntry",
    "Delivery",
    "Embedder",
    "Embedders",
    "Exposition",
    "FileChange",
    "FileWatcher",
    "Generator",
    "IdempotencyStore",
    "JobLane",
    "JobQueue",
    "JobState",
    "JobStore",
    "JwksSource",
    "LeaseStore",
    "MigrationLedger",
    "ModelCatalog",
    "ModelInfo",
    "Passage",
    "PassageEmbedder",
    "PausableVectorStore",
    "QueryStage",
    "RateLimitStore",
    "RestorableVectorStore",
    "Sampling",
    "SearchMode",
    "SparseEncoder",
    "StoredChunk",
    "SwitchableVectorStore",
    "Telemetry",
    "VectorStore",
    "WatchBook",
    "WatchEventKind",
    "WindowHit",
    "WriteHolds",
]
