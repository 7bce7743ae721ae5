"""A heartbeat file that the running bot touches, and the check behind `python -m bot health`.

The Docker healthcheck uses it, so health means "the event loop is alive" in polling and webhook
mode alike, without loading the model a second time.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

HEARTBEAT_EVERY_S = 15.0


def touch(path: Path) -> None:
    """Create or refresh the heartbeat file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, None)


def age_seconds(path: Path) -> float | None:
    """Seconds since the last heartbeat, or None when there is none."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return None


async def beat_forever(path: Path, every: float = HEARTBEAT_EVERY_S) -> None:
    """Touch the heartbeat file every `every` seconds until cancelled."""
    while True:
        await asyncio.to_thread(touch, path)
        await asyncio.sleep(every)
