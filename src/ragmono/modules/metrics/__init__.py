"""Metrics module: the Prometheus scrape endpoint and who may read it."""

from .controller import MetricsController
from .service import MetricsService

__all__ = ["MetricsController", "MetricsService"]
