"""Before serving: is the stored data readable? (``ragmono serve`` runs this first.)"""

from __future__ import annotations

from ragmono.settings import Settings

__all__ = ["check_stored_data"]


def check_stored_data(settings: Settings) -> None:
    """Raise ``DamagedData`` naming the path when the embedded store's directory is damaged.

    A Qdrant server or cluster checks its own storage; nothing to do for those.
    """
    if settings.vector_store.mode != "embedded":
        return
    directory = settings.data_path / "vectors"
    if not directory.is_dir():
        return
    from ragmono.adapters.qdrant.embedded.data_check import check_vector_data

    check_vector_data(directory)
