"""Which backups retention removes: older than keep_days, but never the newest keep_last."""

from __future__ import annotations

from collections.abc import Sequence

from .manifest import BackupManifest

__all__ = ["expired"]


def expired(
    backups: Sequence[BackupManifest], *, now: float, keep_days: int, keep_last: int
) -> list[str]:
    """Ids of the backups past retention, oldest first."""
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    cutoff = now - keep_days * 86400
    doomed = [b for b in newest_first[keep_last:] if b.created_at < cutoff]
    return [b.id for b in reversed(doomed)]
