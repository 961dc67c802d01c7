"""Polling for a condition that becomes true in the background (probes, breakers, retries)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float = 5.0, every_s: float = 0.02
) -> bool:
    """Await ``check()`` until it is true or ``timeout_s`` passes; its last answer."""
    deadline = time.monotonic() + timeout_s
    for _ in range(int(timeout_s / every_s) + 1):
        if await check():
            return True
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(every_s)
    return await check()
