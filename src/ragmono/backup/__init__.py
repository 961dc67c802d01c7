"""Backups: a medium per mode writes the data, the service keeps manifests, checksums, retention."""

from ragmono.ports import CollectionEntry

from .files import FileCopyMedium
from .manifest import BackupManifest
from .retention import expired
from .schedule import BackupSchedule, next_run
from .service import BackupService
from .versions import version_problem

__all__ = [
    "BackupManifest",
    "BackupSchedule",
    "BackupService",
    "CollectionEntry",
    "FileCopyMedium",
    "expired",
    "next_run",
    "version_problem",
]
