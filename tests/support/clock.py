"""A clock tests move by hand, so open periods pass without sleeping."""

from __future__ import annotations


class ManualClock:
    """Callable returning a time in seconds that changes only through :meth:`advance`."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds
