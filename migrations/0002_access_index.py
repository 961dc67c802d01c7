"""A keyword payload index on ``access`` (documents' access labels) for every collection.

Every search of a caller without ``access:all`` filters on ``access``; collections created
before access labels existed would filter it by a full scan. Existing indexes are kept.
"""

from ragmono.ports import VectorStore

ID = "0002_access_index"
DESCRIPTION = "keyword payload index on access (documents' access labels)"


async def up(store: VectorStore) -> None:
    """Ensure the indexes (``access`` among them) on each collection."""
    for spec in await store.list_collections():
        await store.ensure_payload_indexes(spec.name)
