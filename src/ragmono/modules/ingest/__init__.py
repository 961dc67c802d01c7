"""Ingest module: documents in (JSON, uploads, directory sync), chunked, embedded and stored;
background jobs that survive restarts; documents listed, read and deleted."""

from .chunking import Chunker
from .controller import DocumentController, JobController, UploadController, ingest_handlers
from .executors import IngestJobs
from .gate import WriteGate
from .identity import point_id
from .job_files import JobFiles
from .jobs import JobRunner
from .model import DocumentInput, DocumentResult, FileInput, IngestReport, JobAccepted
from .parsing import SUPPORTED_EXTENSIONS, ParseLimits
from .pipeline import DocumentWriter
from .reindex import Reindexer, ReindexFailed
from .reindex_controller import ReindexController
from .reindex_service import ReindexService
from .service import IngestLimits, IngestService

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
    "JobRunner",
    "ParseLimits",
    "ReindexController",
    "ReindexFailed",
    "ReindexService",
    "Reindexer",
    "UploadController",
    "WriteGate",
    "ingest_handlers",
    "point_id",
]
