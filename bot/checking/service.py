"""Run checks off the event loop: `await AsyncChecker.check(text)` from any number of tasks.

Checks that arrive while the model is busy are taken together, so concurrent users share one
model call (as `bot.search.batcher` does for questions).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from bot.checking.checker import MessageChecker
from bot.checking.result import CheckResult

_Item = tuple[str, "asyncio.Future[CheckResult]"]


class AsyncChecker:
    """Micro-batching front of a MessageChecker; results equal `MessageChecker.check`."""

    def __init__(self, checker: MessageChecker, max_batch: int = 16) -> None:
        self.checker = checker
        self.max_batch = max(1, max_batch)
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scamwise-check")
        self.batches = 0

    async def check(self, text: str) -> CheckResult:
        """Check one message; concurrent calls are batched into one model call."""
        if self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._run(self._queue), name="scamwise-checker")
        assert self._queue is not None
        future: asyncio.Future[CheckResult] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, future))
        return await future

    async def _run(self, queue: asyncio.Queue[_Item]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            live = [item for item in batch if not item[1].done()]
            if not live:
                continue
            self.batches += 1
            texts = [text for text, _ in live]
            try:
                results = await loop.run_in_executor(
                    self._executor, self.checker.check_many, texts
                )
            except asyncio.CancelledError:
                for _, future in live:
                    future.cancel()
                raise
            except Exception as exc:  # the callers decide how to tell the user
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(live, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def aclose(self) -> None:
        """Stop the worker; pending checks are cancelled."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        while self._queue is not None and not self._queue.empty():
            self._queue.get_nowait()[1].cancel()
        await asyncio.to_thread(self._executor.shutdown, wait=True)
