"""AsyncSearcher: batched results equal sequential ones, the loop stays free, errors, close."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np
import pytest
from conftest import make_entry

from bot.knowledge.models import Entry, KnowledgeBase
from bot.search.batcher import AsyncSearcher, SearcherClosedError
from bot.search.index import VectorIndex
from bot.search.indexing import index_texts
from bot.search.results import Status
from bot.search.retriever import Retriever


def entry(entry_id: str, title: str, questions: tuple[str, ...]) -> Entry:
    return make_entry(entry_id, title, questions)


KB = KnowledgeBase(
    entries=(
        entry("task-scam", "Task scams", ("paid to like videos", "top up to unlock commission")),
        entry("pig-butchering", "Romance crypto scams", ("online lover wants me to invest",)),
        entry("deepfake-video-call", "Deepfake video calls", ("boss on video asks for money",)),
        entry("report-hotlines", "Where to report", ("how do i report a scam to police",)),
        entry("fake-loan", "Fake loans", ("loan needs a fee before the payout",)),
    )
)

QUESTIONS = [
    "paid to like videos now i must top up",
    "my online lover wants me to invest in crypto",
    "boss on a video call asks for money",
    "how do i report a scam",
    "the loan needs a fee first",
    "",
    "😀",
    "is this legit",
    "unlock commission top up",
    "police report",
]


class SlowEmbedder:
    """Wraps the fake embedder; sleeps in the calling (worker) thread, can be made to fail."""

    def __init__(self, inner: Any, delay: float = 0.0) -> None:
        self.inner = inner
        self.name = inner.name
        self.delay = delay
        self.error: Exception | None = None
        self.started = threading.Event()
        self.gate: threading.Event | None = None  # when set, embed waits for it (max 5 s)
        self.gate_opened = False
        self.threads: set[str] = set()

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    @property
    def calls(self) -> list[int]:
        return list(self.inner.calls)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        self.started.set()
        if self.delay:
            time.sleep(self.delay)
        if self.gate is not None:
            self.gate_opened = self.gate.wait(timeout=5.0)
        if self.error is not None:
            raise self.error
        return np.asarray(self.inner.embed(texts))


@pytest.fixture
def slow(fake_embedder: Any) -> SlowEmbedder:
    return SlowEmbedder(fake_embedder)


@pytest.fixture
def retriever(slow: SlowEmbedder, fake_embedder: Any) -> Retriever:
    texts, payloads = index_texts(KB)
    index = VectorIndex(fake_embedder.embed(texts), payloads)
    fake_embedder.calls.clear()
    return Retriever(KB, index, slow)


@pytest.fixture
async def make_searcher(retriever: Retriever) -> AsyncIterator[Any]:
    made: list[AsyncSearcher] = []

    def make(**kwargs: Any) -> AsyncSearcher:
        searcher = AsyncSearcher(retriever, **kwargs)
        made.append(searcher)
        return searcher

    yield make
    for searcher in made:
        await searcher.aclose()


def summary(result: Any) -> tuple[Any, ...]:
    return (
        result.query,
        result.status,
        tuple((h.entry_id, h.score, h.dense, h.lexical) for h in result.hits),
    )


async def test_concurrent_results_equal_sequential(
    retriever: Retriever, make_searcher: Any
) -> None:
    texts = [QUESTIONS[i % len(QUESTIONS)] + f" {i}" * (i % 3) for i in range(50)]
    expected = [summary(retriever.search(t)) for t in texts]
    searcher = make_searcher(max_batch=32)
    results = await asyncio.gather(*(searcher.search(t) for t in texts))
    assert [summary(r) for r in results] == expected
    assert {r.status for r in results} >= {Status.ANSWER, Status.EMPTY}


async def test_concurrent_queries_share_model_calls(
    slow: SlowEmbedder, make_searcher: Any
) -> None:
    slow.delay = 0.02
    searcher = make_searcher(max_batch=32)
    texts = [f"paid to like videos {i}" for i in range(50)]
    results = await asyncio.gather(*(searcher.search(t) for t in texts))
    assert all(r.hits[0].entry_id == "task-scam" for r in results)
    assert searcher.batches == len(slow.calls) < 50
    assert max(slow.calls) <= 32 and sum(slow.calls) == 50


async def test_max_batch_one_makes_one_call_per_query(
    slow: SlowEmbedder, make_searcher: Any
) -> None:
    searcher = make_searcher(max_batch=1)
    texts = [f"paid to like videos {i}" for i in range(50)]
    await asyncio.gather(*(searcher.search(t) for t in texts))
    assert searcher.batches == 50
    assert slow.calls == [1] * 50


def test_max_batch_below_one_is_refused(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="max_batch"):
        AsyncSearcher(retriever, max_batch=0)


async def test_event_loop_keeps_running_while_the_model_works(
    slow: SlowEmbedder, make_searcher: Any
) -> None:
    slow.delay = 0.3
    searcher = make_searcher()
    ticks = 0
    searching = asyncio.create_task(searcher.search("paid to like videos"))

    async def ticker() -> None:
        nonlocal ticks
        while not searching.done():
            await asyncio.sleep(0.01)
            ticks += 1

    result, _ = await asyncio.gather(searching, ticker())
    assert result.hits[0].entry_id == "task-scam"
    assert ticks >= 5
    assert threading.current_thread().name not in slow.threads


async def test_embedder_error_reaches_every_caller_then_recovers(
    slow: SlowEmbedder, make_searcher: Any
) -> None:
    slow.error = RuntimeError("model exploded")
    searcher = make_searcher(max_batch=32)
    outcomes = await asyncio.gather(
        *(searcher.search(f"report a scam {i}") for i in range(5)), return_exceptions=True
    )
    assert len(outcomes) == 5
    assert all(isinstance(o, RuntimeError) and str(o) == "model exploded" for o in outcomes)

    slow.error = None
    result = await searcher.search("paid to like videos")
    assert result.status is Status.ANSWER and result.hits[0].entry_id == "task-scam"


async def test_aclose_answers_the_queued_searches_first(
    slow: SlowEmbedder, retriever: Retriever
) -> None:
    slow.delay = 0.1
    searcher = AsyncSearcher(retriever, max_batch=1)
    tasks = [asyncio.create_task(searcher.search(f"report a scam {i}")) for i in range(3)]
    while not slow.started.is_set():  # the first query is inside the model, two wait
        await asyncio.sleep(0.005)
    await searcher.aclose()
    _, pending = await asyncio.wait(tasks, timeout=10)
    assert pending == set()
    assert [t.result().query for t in tasks] == [f"report a scam {i}" for i in range(3)]


async def test_searches_left_after_the_drain_fail_loudly_not_cancelled(
    slow: SlowEmbedder, retriever: Retriever
) -> None:
    slow.delay = 0.3
    searcher = AsyncSearcher(retriever, max_batch=1)
    tasks = [asyncio.create_task(searcher.search(f"report a scam {i}")) for i in range(3)]
    while not slow.started.is_set():
        await asyncio.sleep(0.005)
    await searcher.aclose(drain_timeout_s=0)
    # A guard against hanging, not a timing check: every caller must be released.
    done, pending = await asyncio.wait(tasks, timeout=10)
    assert pending == set()
    # A CancelledError would slip past the error handler: the user would get no reply at all.
    assert not any(t.cancelled() for t in done)
    assert all(isinstance(t.exception(), SearcherClosedError) for t in done)


@pytest.mark.parametrize("ks", [[1, 2, 3, 4], [4, 1, 10, 2]])
async def test_each_caller_gets_its_own_k(
    retriever: Retriever, make_searcher: Any, ks: list[int]
) -> None:
    searcher = make_searcher(max_batch=32)
    text = "paid to like videos"
    results = await asyncio.gather(*(searcher.search(text, k=k) for k in ks))
    assert searcher.batches == 1
    for k, result in zip(ks, results, strict=True):
        assert len(result.hits) == min(max(k, 2), len(KB.entries))
        assert summary(result) == summary(retriever.search(text, k=k))


async def test_aclose_does_not_block_the_loop_on_a_busy_model(
    slow: SlowEmbedder, retriever: Retriever
) -> None:
    slow.gate = threading.Event()
    searcher = AsyncSearcher(retriever)
    searching = asyncio.create_task(searcher.search("report a scam"))
    while not slow.started.is_set():
        await asyncio.sleep(0.005)
    closing = asyncio.create_task(searcher.aclose())
    await asyncio.sleep(0.05)
    assert not closing.done()  # aclose waits for the model thread...
    slow.gate.set()  # ...while the loop stays free to run this line and open the gate
    await closing
    assert slow.gate_opened  # had aclose blocked the loop, the gate would have timed out
    assert searching.result().query == "report a scam"  # drained, not dropped


class MeetingEmbedder(SlowEmbedder):
    """Each model call waits (up to 5 s) until `parties` calls are running at the same time."""

    def __init__(self, inner: Any, parties: int) -> None:
        super().__init__(inner)
        self.barrier = threading.Barrier(parties, timeout=5.0)
        self.met = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        try:
            self.barrier.wait()
            self.met += 1
        except threading.BrokenBarrierError:
            pass
        return super().embed(texts)


@pytest.mark.parametrize("workers", [1, 2])
async def test_workers_encode_batches_at_the_same_time(
    fake_embedder: Any, retriever: Retriever, workers: int
) -> None:
    meeting = MeetingEmbedder(fake_embedder, parties=2)
    retriever.embedder = meeting
    searcher = AsyncSearcher(retriever, max_batch=1, max_wait_ms=0, workers=workers)
    try:
        results = await asyncio.gather(*(searcher.search(q) for q in QUESTIONS[:2]))
    finally:
        await searcher.aclose()
    # Two workers meet in the model; one worker runs the calls one after the other.
    assert meeting.met == (2 if workers == 2 else 0)
    assert len(meeting.threads) == workers
    sequential = [retriever.search(q) for q in QUESTIONS[:2]]
    assert [summary(r) for r in results] == [summary(r) for r in sequential]


async def test_many_workers_give_sequential_results(
    make_searcher: Any, retriever: Retriever
) -> None:
    searcher = make_searcher(max_batch=3, max_wait_ms=0, workers=3)
    questions = QUESTIONS * 5
    results = await asyncio.gather(*(searcher.search(q) for q in questions))
    assert [summary(r) for r in results] == [summary(retriever.search(q)) for q in questions]


def test_workers_below_one_are_refused(retriever: Retriever) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        AsyncSearcher(retriever, workers=0)
