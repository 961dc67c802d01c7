"""Rates (``100/minute``) per route group, parsed from the text the settings hold."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import msgspec

from ragmono.errors import SettingsError

__all__ = ["Rate", "RatePolicy", "parse_rate"]

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")
_UNIT_S = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


class Rate(msgspec.Struct, frozen=True):
    """``limit`` requests per ``window_s`` seconds."""

    limit: int
    window_s: float


def parse_rate(text: str, *, key: str) -> Rate:
    """``Rate`` from ``N/second|minute|hour|day``; ``SettingsError`` naming ``key`` otherwise."""
    match = _RATE.match(text)
    if not match or int(match.group(1)) < 1:
        raise SettingsError(
            f"invalid setting {key}: {text!r} is not a rate like '100/minute' "
            "(N >= 1 per second, minute, hour or day)"
        )
    return Rate(limit=int(match.group(1)), window_s=_UNIT_S[match.group(2)])


class RatePolicy:
    """The rate of each route group: the default unless ``rate_limit.routes`` overrides it."""

    def __init__(self, default: Rate, groups: Mapping[str, Rate] | None = None) -> None:
        self.default = default
        self._groups = dict(groups or {})

    def rate_for(self, group: str) -> Rate:
        """The rate that applies to ``group``."""
        return self._groups.get(group, self.default)

    @classmethod
    def parse(cls, default: str, routes: Mapping[str, str], *, groups: Iterable[str]) -> RatePolicy:
        """Parse ``rate_limit.default`` and ``rate_limit.routes``; an unknown group name is a
        ``SettingsError``."""
        known = set(groups)
        overrides: dict[str, Rate] = {}
        for group, text in routes.items():
            if group not in known:
                raise SettingsError(
                    f"invalid setting rate_limit.routes.{group}: unknown route group; "
                    f"groups are the route scopes {sorted(known)}"
                )
            overrides[group] = parse_rate(text, key=f"rate_limit.routes.{group}")
        return cls(parse_rate(default, key="rate_limit.default"), overrides)
