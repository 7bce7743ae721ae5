"""A per-user flood limit: N events in a sliding window, with one notice per burst."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum


class Verdict(StrEnum):
    """What to do with an event."""

    ALLOW = "allow"
    NOTICE = "notice"  # over the limit: say so once
    DROP = "drop"  # still over the limit: stay quiet


class FloodGuard:
    """Allows `limit` events per `window` seconds per user; later ones get one notice."""

    def __init__(
        self, limit: int = 10, window: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[int, deque[float]] = {}
        self._noticed: set[int] = set()

    def check(self, user_id: int) -> Verdict:
        """Record an event for the user and judge it."""
        now = self._clock()
        events = self._events.setdefault(user_id, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) < self.limit:
            events.append(now)
            self._noticed.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._noticed:
            return Verdict.DROP
        self._noticed.add(user_id)
        return Verdict.NOTICE

    def forget_idle(self) -> None:
        """Drop users with no event in the current window (bounds memory)."""
        now = self._clock()
        for user_id in [
            u for u, ev in self._events.items() if not ev or now - ev[-1] >= self.window
        ]:
            del self._events[user_id]
            self._noticed.discard(user_id)
