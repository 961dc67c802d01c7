"""The request filter DSL translated to :class:`ragmono.domain.Filter`.

::

    {"must": [{"key": "source", "match": "a.md"},
              {"key": "metadata.year", "range": {"gte": 2020}},
              {"key": "metadata.published", "range": {"gte": "2024-01-01"}},
              {"key": "document_id", "any": ["a", "b"]}]}

Range bounds are numbers or ISO-8601 dates. Dates become epoch seconds (UTC when no offset is
given), so date metadata must be stored as epoch seconds to be range-filtered; an ISO string
stored in metadata can still be matched exactly. The schema rejects unknown keys and
operators; this module rejects what the schema cannot express, naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ragmono.domain import AnyOf, Condition, Filter, Match, Range
from ragmono.errors import InvalidInput

from .schemas import ConditionIn, FilterIn, RangeIn

__all__ = ["to_domain_filter"]

_STRING_KEYS = {"document_id", "source"}


def to_domain_filter(flt: FilterIn | None, *, field: str = "body.filter") -> Filter | None:
    """The domain filter for ``flt`` (None when absent or empty).

    Raises :class:`InvalidInput` naming ``<field>.must[i]...`` for a condition with no or
    several operators, a range with no bound, an unparsable date, a mixed-type ``any`` list,
    or a value whose type cannot match the key.
    """
    if flt is None or not flt.must:
        return None
    return Filter(
        must=[_condition(c, f"{field}.must[{i}]") for i, c in enumerate(flt.must)],
    )


def _condition(cond: ConditionIn, field: str) -> Condition:
    given = [op for op in ("match", "any", "range") if getattr(cond, op) is not None]
    if len(given) != 1:
        raise InvalidInput(
            f"a condition needs exactly one of match, any, range; got {given or 'none'}",
            field=field,
        )
    if cond.match is not None:
        _check_type(cond.key, [cond.match], f"{field}.match")
        return Match(key=cond.key, value=cond.match)
    if cond.any is not None:
        values = cond.any
        if all(isinstance(v, str) for v in values):
            _check_type(cond.key, values, f"{field}.any")
            return AnyOf(key=cond.key, values=[str(v) for v in values])
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            _check_type(cond.key, values, f"{field}.any")
            return AnyOf(key=cond.key, values=[int(v) for v in values])
        raise InvalidInput("any: values must be all strings or all integers", field=f"{field}.any")
    assert cond.range is not None
    if cond.key in _STRING_KEYS:
        raise InvalidInput(f"{cond.key} is text: use match or any", field=f"{field}.range")
    return _range(cond.key, cond.range, f"{field}.range")


def _check_type(key: str, values: list[str | int | bool] | list[str | int], field: str) -> None:
    if key in _STRING_KEYS and not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{key} is text: give strings", field=field)
    if key == "chunk_index" and not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        raise InvalidInput("chunk_index is an integer", field=field)


def _range(key: str, rng: RangeIn, field: str) -> Range:
    bounds = {
        name: _bound(value, f"{field}.{name}")
        for name in ("gte", "gt", "lte", "lt")
        if (value := getattr(rng, name)) is not None
    }
    if not bounds:
        raise InvalidInput("a range needs at least one of gte, gt, lte, lt", field=field)
    return Range(key=key, **bounds)


def _bound(value: float | str, field: str) -> float:
    if not isinstance(value, str):
        return float(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{value!r} is neither a number nor an ISO-8601 date", field=field
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
