"""Backups: copies under paused writes with a checksummed manifest, retention, a schedule."""

from .manifest import BackupManifest, CollectionEntry
from .retention import expired
from .schedule import BackupSchedule, next_run
from .service import BackupService, version_problem

__all__ = [
    "BackupManifest",
    "BackupSchedule",
    "BackupService",
    "CollectionEntry",
    "expired",
    "next_run",
    "version_problem",
]
