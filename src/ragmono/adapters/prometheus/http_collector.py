"""HTTP request counts and durations kept in plain Python numbers, exported at scrape time.

prometheus_client's Counter and Histogram take a lock per increment (four per request here);
this collector is only ever touched from the event loop thread (the ASGI middleware records,
the async /metrics handler collects), so one dict lookup, a bisect and three additions do.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

__all__ = ["HttpCollector"]

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")

REQUESTS = "ragmono_http_requests"
DURATION = "ragmono_http_request_duration_seconds"


def status_class(status: int) -> str:
    """``2xx`` for 200..299, ..., ``other`` outside 100..599."""
    index = status // 100 - 1
    return _STATUS_CLASSES[index] if 0 <= index < len(_STATUS_CLASSES) else "other"


class _Series:
    """One (route, method, status): request count, duration sum, per-bucket (not cumulative)."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self, size: int) -> None:
        self.count = 0
        self.total = 0.0
        self.buckets = [0] * size


class HttpCollector:
    """Records every request; renders the requests counter and the duration histogram."""

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds = tuple(sorted(bounds))
        self._le = [*(floatToGoString(b) for b in self._bounds), "+Inf"]  # type: ignore[no-untyped-call]
        self._series: dict[tuple[str, str, int], _Series] = {}

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request; methods outside the standard set become ``other``."""
        if method not in _METHODS:
            method = "other"
        key = (route, method, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series(len(self._bounds) + 1)
        series.count += 1
        series.total += seconds
        # bisect_left: the first bound >= seconds, i.e. the "le" bucket it falls into.
        series.buckets[bisect_left(self._bounds, seconds)] += 1

    def describe(self) -> Iterator[Metric]:
        """The two families, empty (lets the registry check names without a collect)."""
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        """Requests by (route, method, status class); durations by (route, method)."""
        requests, durations = self._families()
        by_class: dict[tuple[str, str, str], int] = {}
        by_route: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        for (route, method, status), series in list(self._series.items()):
            key = (route, method, status_class(status))
            by_class[key] = by_class.get(key, 0) + series.count
            buckets, total = by_route.setdefault((route, method), ([0] * len(self._le), [0.0]))
            for i, n in enumerate(series.buckets):
                buckets[i] += n
            total[0] += series.total
        for class_labels, count in by_class.items():
            requests.add_metric(list(class_labels), count)
        for route_labels, (buckets, total) in by_route.items():
            cumulative, running = [], 0
            for le, n in zip(self._le, buckets, strict=True):
                running += n
                cumulative.append((le, float(running)))
            durations.add_metric(list(route_labels), cumulative, total[0])
        yield requests
        yield durations

    @staticmethod
    def _families() -> tuple[CounterMetricFamily, HistogramMetricFamily]:
        return (
            CounterMetricFamily(
                REQUESTS,
                "HTTP requests by route template, method and status class.",
                labels=("route", "method", "status_class"),
            ),
            HistogramMetricFamily(
                DURATION,
                "HTTP request duration by route template and method.",
                labels=("route", "method"),
            ),
        )
