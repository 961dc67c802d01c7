"""Health module: liveness and readiness probes."""

from .controller import HealthController
from .service import HealthService, Readiness

__all__ = ["HealthController", "HealthService", "Readiness"]
