"""Access labels: who may read a document, who is asking, and the filter that joins them.

A document carries labels such as ``group:finance``, ``user:alice`` or ``tenant:acme`` (stored
in every chunk's ``access`` payload). A caller holds labels too (from its JWT or service
token). A caller reads a chunk when they share at least one label; ``public`` on a document
admits everyone; a chunk without labels follows its collection's ``default_access``
(``public``: everyone; ``restricted``: only ``access:all``). A caller holding ``access:all``
reads everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final, Literal

import msgspec

from ragmono.domain.filters import Condition, Visible

__all__ = [
    "ACCESS_ALL",
    "ACCESS_KEY",
    "LABEL_KINDS",
    "PUBLIC",
    "DefaultAccess",
    "Reader",
    "check_labels",
]

ACCESS_KEY: Final = "access"
"""The payload key holding a chunk's labels."""
PUBLIC: Final = "public"
"""A document label that admits every caller."""
ACCESS_ALL: Final = "access:all"
"""A caller label that admits every document (admin tools, migrations)."""
LABEL_KINDS: Final = ("user", "group", "tenant", "role")
"""Label prefixes a document or caller may use (``access:all`` aside)."""
MAX_LABELS: Final = 64
DefaultAccess = Literal["public", "restricted"]

_LABEL = re.compile(r"^(?:user|group|tenant|role):[^\s,#]{1,200}$")


def check_labels(labels: Iterable[str], *, allow_all: bool = False) -> list[str]:
    """The labels sorted and deduplicated; ``ValueError`` naming the first bad one.

    A label is ``public`` or ``<kind>:<name>`` with kind one of :data:`LABEL_KINDS` and a name
    of 1-200 characters without blanks, commas or ``#``. ``access:all`` only when ``allow_all``
    (a caller's label, never a document's).
    """
    found = set()
    for label in labels:
        if label == PUBLIC or (allow_all and label == ACCESS_ALL) or _LABEL.match(label):
            found.add(label)
            continue
        raise ValueError(
            f"invalid access label {label!r}: use 'public' or one of "
            f"{', '.join(k + ':<name>' for k in LABEL_KINDS)}"
            + (" or 'access:all'" if allow_all else "")
        )
    if len(found) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} access labels")
    return sorted(found)


class Reader(msgspec.Struct, frozen=True):
    """The caller of a read, as the services see it: its access labels.

    The default (no labels) reads only what is public: code that forgets to say who is
    asking fails closed.
    """

    labels: frozenset[str] = frozenset()

    @classmethod
    def everything(cls) -> Reader:
        """A reader holding ``access:all`` (the CLI, an open dev server)."""
        return cls(frozenset({ACCESS_ALL}))

    @property
    def unrestricted(self) -> bool:
        """True when this reader holds ``access:all``."""
        return ACCESS_ALL in self.labels

    @property
    def key(self) -> tuple[str, ...]:
        """The labels in a stable order (part of cache keys)."""
        return tuple(sorted(self.labels))

    def in_tenant(self, tenant: str) -> bool:
        """Whether this reader may see a collection of ``tenant`` ("" : no tenant, everyone)."""
        return not tenant or self.unrestricted or f"tenant:{tenant}" in self.labels

    def condition(self, default_access: DefaultAccess) -> Condition | None:
        """The filter condition that admits exactly the chunks this reader may see."""
        if self.unrestricted:
            return None
        return Visible(
            key=ACCESS_KEY,
            labels=sorted(self.labels | {PUBLIC}),
            unlabelled=default_access == PUBLIC,
        )

    def sees(self, labels: Sequence[str], default_access: DefaultAccess) -> bool:
        """Whether a chunk carrying ``labels`` is visible to this reader."""
        if self.unrestricted:
            return True
        if not labels:
            return default_access == PUBLIC
        return PUBLIC in labels or not self.labels.isdisjoint(labels)
