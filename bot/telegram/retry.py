"""Bot API calls that survive a blip: 429s wait as told, 5xx and network errors back off.

PTB's `AIORateLimiter` retries only 429 (`RetryAfter`). A single 502 from Telegram's front end
or a reset connection would otherwise lose the reply, so `RetryingRateLimiter` also retries
those, a bounded number of times with exponential backoff. What is retried:

- a 5xx answer or a failed connection (`NetworkError`): Telegram did not take the call, so any
  method is retried;
- a timeout (`TimedOut`) only for idempotent methods (edits, answers, get*/set*/delete*): a
  message whose request timed out may have been delivered, and sending it again would post it
  twice.

`BadRequest` is a `NetworkError` subclass in PTB but a final answer: never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

NETWORK_RETRIES = 3
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 8.0
IDEMPOTENT_PREFIXES = ("edit", "answer", "get", "set", "delete")


def retryable(exc: Exception, endpoint: str) -> bool:
    """Whether a failed call may be made again without risk of doing it twice."""
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return False
    if isinstance(exc, TimedOut):
        return endpoint.startswith(IDEMPOTENT_PREFIXES)
    return True


class RetryingRateLimiter(AIORateLimiter):
    """`AIORateLimiter` that also retries 5xx answers and network errors (see module doc)."""

    def __init__(
        self,
        *args: Any,
        network_retries: int = NETWORK_RETRIES,
        first_delay_s: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.network_retries = network_retries
        self.first_delay_s = FIRST_DELAY_S if first_delay_s is None else first_delay_s

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Make the call through the rate limiter; retry it on a blip, with backoff."""
        delay = self.first_delay_s
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as exc:
                if attempt == self.network_retries or not retryable(exc, endpoint):
                    raise
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)
        raise AssertionError("unreachable")  # pragma: no cover
