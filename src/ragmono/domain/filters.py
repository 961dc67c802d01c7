"""Metadata filters, independent of any vector store's filter syntax.

Keys are payload paths: ``document_id``, ``source``, ``chunk_index`` or ``metadata.<name>``.
All conditions of a :class:`Filter` must hold (AND).
"""

from __future__ import annotations

import msgspec


class Match(msgspec.Struct, frozen=True, tag="match"):
    """The value at ``key`` equals ``value``."""

    key: str
    value: str | int | bool


class AnyOf(msgspec.Struct, frozen=True, tag="any"):
    """The value at ``key`` is one of ``values``."""

    key: str
    values: list[str] | list[int]


class Range(msgspec.Struct, frozen=True, tag="range"):
    """The numeric value at ``key`` lies in the given bounds (dates as epoch seconds)."""

    key: str
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None


class Visible(msgspec.Struct, frozen=True, tag="visible"):
    """The list at ``key`` shares an item with ``labels``, or (``unlabelled``) is empty/missing.

    Made by :meth:`ragmono.domain.Reader.condition`: the access check every store applies.
    """

    key: str
    labels: list[str]
    unlabelled: bool = False


Condition = Match | AnyOf | Range | Visible


class Filter(msgspec.Struct, frozen=True):
    """A conjunction of conditions."""

    must: list[Condition] = msgspec.field(default_factory=list)
