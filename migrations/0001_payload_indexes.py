"""Keyword payload indexes on document_id, source and content_hash for every collection.

Collections created before ragmono made these indexes at creation time filter by a full scan;
this adds whichever index is missing (existing ones are left as they are).
"""

from ragmono.ports import VectorStore

ID = "0001_payload_indexes"
DESCRIPTION = "keyword payload indexes on document_id, source and content_hash"


async def up(store: VectorStore) -> None:
    """Ensure the indexes on each collection."""
    for spec in await store.list_collections():
        await store.ensure_payload_indexes(spec.name)
