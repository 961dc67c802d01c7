"""Process plumbing for the embedded engine: the data directory's owner lock, parent death."""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import signal
import sys
from pathlib import Path
from typing import IO

from ragmono.errors import DependencyUnavailable

_PR_SET_PDEATHSIG = 1


def acquire_owner_lock(path: Path) -> IO[str]:
    """Hold an exclusive lock on ``path`` for this process's lifetime (one owner per dir)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise DependencyUnavailable(
            "qdrant", f"data directory {path.parent} is in use by another ragmono process"
        ) from None
    return fh


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere a no-op).

    An orphaned engine would keep its shards' WAL locks and burn CPU for nobody; the parent
    could not start a replacement. Exits at once if the parent is already gone.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)
