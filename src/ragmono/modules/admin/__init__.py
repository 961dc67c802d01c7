"""Admin module: operator controls (circuit breakers; cache and backups join here)."""

from .backups_controller import BackupController
from .breakers_controller import BreakerController
from .breakers_service import BreakerService

__all__ = ["BackupController", "BreakerController", "BreakerService"]
