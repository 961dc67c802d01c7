"""One search or question as the services see it, made from the request body in one place."""

from __future__ import annotations

import msgspec

from ragmono.domain import Filter, Reader, SearchMode

from .filters import to_domain_filter
from .schemas import QueryIn, SearchIn

__all__ = ["SearchParams"]


class SearchParams(msgspec.Struct, frozen=True, kw_only=True):
    """What to retrieve: the search route's, the answer route's and the fast path's request.

    Already validated by the schema; :meth:`of` is the one mapping from a request body.
    """

    query: str
    collection: str
    top_k: int = 10
    filter: Filter | None = None
    score_threshold: float | None = None
    mode: SearchMode = "hybrid"
    reader: Reader = msgspec.field(default_factory=Reader)
    """Who asks: only chunks its access labels admit are found (default: public ones only)."""

    @classmethod
    def of(cls, body: SearchIn | QueryIn, reader: Reader) -> SearchParams:
        """The params of a validated search or query body (its filter in domain terms)."""
        return cls(
            reader=reader,
            query=body.query,
            collection=body.collection,
            top_k=body.top_k,
            filter=to_domain_filter(body.filter),
            score_threshold=body.score_threshold,
            mode=body.mode,
        )
