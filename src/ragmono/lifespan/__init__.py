"""The composition root: builds adapters from settings, services from adapters, closes all.

This is the one place that knows which concrete adapter serves each port.
"""

from .adapters import (
    Adapters,
    breaker_config,
    migration_ledger,
    open_adapters,
    open_vector_store,
    run_migrations,
)
from .backups import backup_schedule, build_backup_service
from .edge_builder import auth_config, build_edge, cors_config, share_rate_limits
from .services import Services, build_services

__all__ = [
    "Adapters",
    "Services",
    "auth_config",
    "backup_schedule",
    "breaker_config",
    "build_backup_service",
    "build_edge",
    "build_services",
    "cors_config",
    "migration_ledger",
    "open_adapters",
    "open_vector_store",
    "run_migrations",
    "share_rate_limits",
]
