"""Prometheus adapter: the only code that imports ``prometheus_client``."""

from .telemetry import BREAKER_STATE_VALUES, PrometheusTelemetry

__all__ = ["BREAKER_STATE_VALUES", "PrometheusTelemetry"]
