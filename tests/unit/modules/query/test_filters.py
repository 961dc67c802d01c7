"""The filter DSL becomes domain conditions; what the schema cannot reject, this does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from ragmono.domain import AnyOf, Filter, Match, Range
from ragmono.errors import InvalidInput
from ragmono.modules.query.filters import to_domain_filter
from ragmono.modules.query.schemas import FilterIn


def translate(raw: dict[str, Any]) -> Filter | None:
    return to_domain_filter(msgspec.convert(raw, FilterIn))


def test_each_operator_maps_to_its_condition() -> None:
    flt = translate(
        {
            "must": [
                {"key": "source", "match": "a.md"},
                {"key": "document_id", "any": ["a", "b"]},
                {"key": "metadata.year", "any": [2020, 2021]},
                {"key": "metadata.year", "range": {"gte": 2020, "lt": 2030}},
                {"key": "metadata.public", "match": True},
            ]
        }
    )
    assert flt == Filter(
        must=[
            Match(key="source", value="a.md"),
            AnyOf(key="document_id", values=["a", "b"]),
            AnyOf(key="metadata.year", values=[2020, 2021]),
            Range(key="metadata.year", gte=2020.0, lt=2030.0),
            Match(key="metadata.public", value=True),
        ]
    )


def test_dates_become_epoch_seconds_utc_unless_an_offset_is_given() -> None:
    flt = translate(
        {
            "must": [
                {
                    "key": "metadata.published",
                    "range": {"gte": "2024-01-01", "lt": "2024-01-01T02:00:00+02:00"},
                }
            ]
        }
    )
    assert flt is not None
    cond = flt.must[0]
    assert isinstance(cond, Range)
    assert cond.gte == datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    assert cond.lt == datetime(2024, 1, 1, tzinfo=UTC).timestamp()


def test_no_or_empty_filter_is_none() -> None:
    assert to_domain_filter(None) is None
    assert translate({"must": []}) is None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"must": [{"key": "source"}]}, "body.filter.must[0]"),
        ({"must": [{"key": "x.y", "match": 1}]}, None),
        (
            {"must": [{"key": "metadata.a", "match": 1}, {"key": "metadata.b", "range": {}}]},
            "body.filter.must[1].range",
        ),
        (
            {"must": [{"key": "metadata.a", "range": {"lte": "2024-13-01"}}]},
            "body.filter.must[0].range.lte",
        ),
        ({"must": [{"key": "document_id", "match": 3}]}, "body.filter.must[0].match"),
        ({"must": [{"key": "document_id", "any": [1, 2]}]}, "body.filter.must[0].any"),
        ({"must": [{"key": "chunk_index", "any": ["1"]}]}, "body.filter.must[0].any"),
        ({"must": [{"key": "source", "range": {"gt": 1}}]}, "body.filter.must[0].range"),
    ],
)
def test_invalid_conditions_name_their_field(raw: dict[str, Any], field: str | None) -> None:
    if field is None:  # the schema's own key pattern rejects it
        with pytest.raises(msgspec.ValidationError, match="key"):
            translate(raw)
        return
    with pytest.raises(InvalidInput) as caught:
        translate(raw)
    assert caught.value.field == field
