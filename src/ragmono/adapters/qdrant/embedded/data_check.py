"""Start-up check of the embedded store's directory: the shards on disk are the truth.

A catalog that is missing while shards exist, a catalog that cannot be read, or a restore that
died between its renames (``.replaced-*`` left behind) stop start-up with one message naming
the path and the way back. Serving instead would show an empty store whose next create would
overwrite data that is still on disk.
"""

from __future__ import annotations

from pathlib import Path

from ragmono.errors import DamagedData

from .file_catalog import FileCatalog

__all__ = ["check_vector_data"]


def check_vector_data(directory: Path) -> list[str]:
    """Raise ``DamagedData`` for a damaged ``directory``; else the shards no entry serves.

    Such orphan shards (a crash between creating a shard and recording it) are kept and
    logged by the caller; creating a collection of that name answers 409 instead of erasing.
    """
    for left in sorted(directory.glob(".replaced-*")):
        raise DamagedData(
            f"{left}: a restore stopped between its renames and this folder holds the data "
            f"from before it; move its catalog.json and collections/ back into {directory} "
            "(replacing what is there) and remove it, or run the restore again"
        )
    shards_dir = directory / "collections"
    shards = (
        sorted(p.name for p in shards_dir.iterdir() if p.is_dir()) if shards_dir.is_dir() else []
    )
    catalog = FileCatalog(directory)  # raises DamagedData when the file cannot be read
    if not catalog.path.exists():
        if shards:
            raise DamagedData(
                f"{catalog.path} is missing but {shards_dir} holds {len(shards)} shard(s) "
                f"({', '.join(shards[:5])}): restore catalog.json from a backup "
                "(ragmono backup restore), or move the collections folder away to start empty"
            )
        return []
    served = {
        s for spec in catalog.all() for s in (spec.physical, *(r.storage for r in spec.retained))
    }
    return [name for name in shards if name not in served]
