"""Ingest module: documents in (JSON, uploads, directory sync), chunked, embedded and stored;
background jobs that survive restarts; documents listed, read and deleted; watched folders."""

from .chunking import Chunker
from .controller import DocumentController, JobController, UploadController, ingest_handlers
from .documents import DocumentInput, DocumentResult, FileInput, IngestReport, JobAccepted
from .executors import IngestJobs
from .gate import WriteGate
from .identity import point_id
from .job_files import JobFiles, ReindexPayload
from .jobs import JobRunner
from .parsing import SUPPORTED_EXTENSIONS, ParseLimits
from .pipeline import DocumentWriter, embed_chunks
from .progress import JobObserver
from .service import IngestLimits, IngestService
from .shared_lock import SharedLock
from .watch_controller import WatchController
from .watch_folder import WatchPolicy
from .watches import WatchEntry, WatchService

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Chunker",
    "DocumentController",
    "DocumentInput",
    "DocumentResult",
    "DocumentWriter",
    "FileInput",
    "IngestJobs",
    "IngestLimits",
    "IngestReport",
    "IngestService",
    "JobAccepted",
    "JobController",
    "JobFiles",
    "JobObserver",
    "JobRunner",
    "ParseLimits",
    "ReindexPayload",
    "SharedLock",
    "UploadController",
    "WatchController",
    "WatchEntry",
    "WatchPolicy",
    "WatchService",
    "WriteGate",
    "embed_chunks",
    "ingest_handlers",
    "point_id",
]
