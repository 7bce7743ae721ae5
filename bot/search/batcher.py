"""Async search that encodes off the event loop and micro-batches concurrent queries.

Queries that arrive while the model is busy wait in a queue; a free worker takes all of them (up
to `max_batch`) as one batch, so many concurrent users share one model call instead of queueing
one by one. Each of the `workers` encodes its batches in a thread of its own, so the event loop
never blocks on the model, and with several workers several batches are encoded at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor

from bot.search.results import SearchResult
from bot.search.retriever import Retriever

_Item = tuple[str, int, "asyncio.Future[SearchResult]"]
DRAIN_TIMEOUT_S = 30.0  # longest wait, when closing, for the searches already queued


class SearcherClosedError(RuntimeError):
    """A search was still waiting when its searcher was closed (the caller apologises)."""

    def __init__(self) -> None:
        super().__init__("the search was stopped: the searcher closed before it ran")


class AsyncSearcher:
    """`await search(text)` from any number of tasks; results equal `Retriever.search`."""

    def __init__(
        self,
        retriever: Retriever,
        max_batch: int = 32,
        max_wait_ms: float = 2.0,
        workers: int = 1,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.retriever = retriever
        self.max_batch = max_batch
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self.workers = workers
        self._queue: asyncio.Queue[_Item] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="scamwise-embed"
        )
        self.batches = 0  # how many model calls were made (for benchmarks and tests)
        self._waiting: set[asyncio.Future[SearchResult]] = set()

    async def search(self, text: str, k: int = 3) -> SearchResult:
        """Search one message; concurrent calls are batched together."""
        if not self._tasks or any(task.done() for task in self._tasks):
            self._start()
        assert self._queue is not None
        future: asyncio.Future[SearchResult] = asyncio.get_running_loop().create_future()
        self._waiting.add(future)
        future.add_done_callback(self._waiting.discard)
        await self._queue.put((text, k, future))
        return await future

    def _start(self) -> None:
        """A fresh queue and workers (at first use, or if a worker died)."""
        for task in self._tasks:
            task.cancel()
        self._queue = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._run(self._queue), name=f"scamwise-search-worker-{i}")
            for i in range(self.workers)
        ]

    async def aclose(self, drain_timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        """Answer the searches already queued (up to `drain_timeout_s`), then stop the workers.

        `/reload` closes the old searcher while users wait on it: they still get their answer.
        Whatever is left after the timeout fails with SearcherClosedError, never a silent
        cancel (a CancelledError would bypass the adapters' error handling: no reply at all).
        """
        if self._waiting and self._tasks and drain_timeout_s > 0:
            await asyncio.wait(set(self._waiting), timeout=drain_timeout_s)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        while self._queue is not None and not self._queue.empty():
            _cancel([self._queue.get_nowait()])
        # Wait for a model call still running in the worker thread without blocking the loop.
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    async def _run(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            batch = await self._collect(queue)
            await self._process(batch)

    async def _collect(self, queue: asyncio.Queue[_Item]) -> list[_Item]:
        """Wait for one query, then take what else arrives within `max_wait`."""
        batch = [await queue.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        try:
            while len(batch) < self.max_batch:
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
        except asyncio.CancelledError:
            _cancel(batch)  # taken off the queue: aclose() cannot see them any more
            raise
        return batch

    async def _process(self, batch: list[_Item]) -> None:
        live = [item for item in batch if not item[2].done()]
        if not live:
            return
        texts = [text for text, _, _ in live]
        k = max(k for _, k, _ in live)
        loop = asyncio.get_running_loop()
        self.batches += 1
        try:
            results = await loop.run_in_executor(
                self._executor, self.retriever.search_many, texts, k
            )
        except asyncio.CancelledError:
            _cancel(live)  # closed while the model was busy: release these callers too
            raise
        except Exception as exc:  # the callers decide how to tell the user
            for _, _, future in live:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, own_k, future), result in zip(live, results, strict=True):
            if not future.done():
                future.set_result(dataclasses.replace(result, hits=result.hits[: max(own_k, 2)]))


def _cancel(items: list[_Item]) -> None:
    """Fail the callers' futures that are still waiting: the searcher is closing."""
    for _, _, future in items:
        if not future.done():
            future.set_exception(SearcherClosedError())
