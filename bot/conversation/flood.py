"""A per-user flood limit: N events in a sliding window, with one notice per burst.

The counters live in this process's memory, also with several replicas, on purpose: they
are safe to lose. A restart forgets at most one window (30 s) of counts; behind a proxy
that spreads updates over R replicas a flooder gets at most R times the limit per window,
still bounded, and every replica still refuses the excess it sees. Keeping them in the
database instead would put one more write transaction (an upsert on a hot row) on every
message, about twice the update-id claim (scripts/bench_store.py; README, "Several replicas"),
and the most of them exactly when a user floods: the database would take the flood the guard
exists to absorb.
"""

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


MAX_TRACKED_USERS = 50_000  # about 40 MB of state at most, whatever the traffic


class FloodGuard:
    """Allows `limit` events per `window` seconds per user; later ones get one notice.

    Its memory is bounded: users idle for a whole window are forgotten once per window, and
    beyond `max_users` users the least recently seen one is forgotten first (they could not be
    over the limit by much: with that many users in one window, the bot is busy anyway).
    """

    def __init__(
        self,
        limit: int = 10,
        window: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = MAX_TRACKED_USERS,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_users = max_users
        self._clock = clock
        self._events: dict[int, deque[float]] = {}  # in order of last event: oldest first
        self._noticed: set[int] = set()
        self._swept = clock()

    def __len__(self) -> int:
        """How many users the guard holds state for."""
        return len(self._events)

    def check(self, user_id: int) -> Verdict:
        """Record an event for the user and judge it."""
        now = self._clock()
        if now - self._swept >= self.window:
            self.forget_idle()
        events = self._events.pop(user_id, None) or deque()
        self._events[user_id] = events  # now the most recently seen
        while len(self._events) > self.max_users:
            oldest = next(iter(self._events))
            del self._events[oldest]
            self._noticed.discard(oldest)
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
        self._swept = now
        for user_id in [
            u for u, ev in self._events.items() if not ev or now - ev[-1] >= self.window
        ]:
            del self._events[user_id]
            self._noticed.discard(user_id)
