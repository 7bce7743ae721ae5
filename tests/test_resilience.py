"""Faults while running: /reload under traffic, retention while running, flood state, votes.

The real Application on the offline Bot API with the hash embedder over the real knowledge base
(fast: no model), so these tests exercise the adapter and the core, not the search quality.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.conversation import texts
from tests.conftest import FakeEmbedder
from tests.telegram_harness import (
    BOT_USERNAME,
    GROUP_ID,
    KNOWLEDGE,
    USER_ID,
    BotUnderTest,
    Updates,
    keyboard_data,
    started,
    telegram_settings,
)

QUESTION = "someone pays me to like videos, is it a scam?"


class SlowHashEmbedder(FakeEmbedder):
    """The hash embedder taking a little time per batch, so that searches queue up."""

    def __init__(self, seconds: float = 0.004) -> None:
        super().__init__()
        self.seconds = seconds

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.seconds)
        return super().embed(texts)


@pytest.fixture
async def fake_bot(tmp_path: Path, fake_index_dir: Path) -> AsyncIterator[BotUnderTest]:
    settings = telegram_settings(
        tmp_path, fake_index_dir, admin_ids="1", batch_max_size=4, concurrent_updates=512
    )
    async with started(settings, SlowHashEmbedder()) as bot:
        yield bot


# --- /reload under traffic -------------------------------------------------------------------


async def test_reload_during_a_burst_answers_every_user(fake_bot: BotUnderTest) -> None:
    users = [Updates(user_id=200_000 + n) for n in range(300)]
    services = fake_bot.services
    old = services.searcher
    queued_at_reload: list[int] = []

    async def reload_midway() -> str:
        while len(old._waiting) < 50:  # the old searcher holds a queue of questions
            await asyncio.sleep(0.001)
        queued_at_reload.append(len(old._waiting))
        return str(await services.reload())

    burst = [fake_bot.send(u.text(QUESTION)) for u in users]
    *_, message = await asyncio.gather(*burst, reload_midway())
    assert message.startswith("Reloaded:") and services.searcher is not old
    assert queued_at_reload and queued_at_reload[0] >= 50
    by_chat: dict[int, list[str]] = {}
    for call in fake_bot.request.of("sendMessage"):
        by_chat.setdefault(int(call.params["chat_id"]), []).append(call.params["text"])
    for u in users:
        replies = by_chat.get(u.user["id"], [])
        assert len(replies) == 1, (u.user["id"], replies)
        assert replies[0] != texts.ERROR


async def test_a_search_that_still_fails_at_close_gets_the_apology(
    fake_bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.search import batcher

    monkeypatch.setattr(batcher, "DRAIN_TIMEOUT_S", 0.0)
    users = [Updates(user_id=300_000 + n) for n in range(60)]
    old = fake_bot.services.searcher

    async def close_midway() -> None:
        while len(old._waiting) < 20:
            await asyncio.sleep(0.001)
        await old.aclose(drain_timeout_s=0)

    await asyncio.gather(*(fake_bot.send(u.text(QUESTION)) for u in users), close_midway())
    replied = {
        int(c.params["chat_id"]): c.params["text"] for c in fake_bot.request.of("sendMessage")
    }
    assert set(replied) == {u.user["id"] for u in users}  # nobody is left without a reply
    assert texts.ERROR in replied.values()


# --- retention while running -------------------------------------------------------------------


class Clock:
    """A controllable "now" for Services.clock."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


async def unanswered_count(services: Any) -> int:
    return sum(r.count for r in await services.store.top_unanswered(limit=1000))


async def test_the_bot_prunes_once_a_day_while_running(fake_bot: BotUnderTest) -> None:
    from bot.telegram.app import PRUNE_JOB

    services = fake_bot.services
    clock = Clock()
    services.clock = clock
    (job,) = fake_bot.app.job_queue.get_jobs_by_name(PRUNE_JOB)
    assert job.job.trigger.interval == timedelta(days=1)
    await services.store.record_unanswered("old question", None, 0.1, "declined", at=clock.now)
    days = services.settings.retention_days
    clock.now += timedelta(days=days - 1)
    await job.run(fake_bot.app)  # a day before the limit: kept
    assert await unanswered_count(services) == 1
    clock.now += timedelta(days=2)
    await job.run(fake_bot.app)  # past the limit: gone, with no restart
    assert await unanswered_count(services) == 0


async def test_the_console_prunes_once_a_day_while_running(
    tmp_path: Path, fake_index_dir: Path
) -> None:
    from bot.app import PRUNE_INTERVAL_S, open_services, prune_daily
    from bot.settings import load_settings

    settings = load_settings(
        knowledge_dir=KNOWLEDGE,
        index_dir=fake_index_dir,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
        retention_days=2,
    )
    services = await open_services(settings, FakeEmbedder())
    clock = Clock()
    services.clock = clock
    slept: list[float] = []
    counts: list[int] = []

    async def one_day_passes(seconds: float) -> None:
        """The timer's sleep: the clock moves on by that long, at once."""
        if len(slept) == 4:
            raise asyncio.CancelledError
        if slept:
            counts.append(await unanswered_count(services))
        slept.append(seconds)
        clock.now += timedelta(seconds=seconds)

    try:
        await services.store.record_unanswered("old", None, 0.1, "declined", at=clock.now)
        with pytest.raises(asyncio.CancelledError):
            await prune_daily(services, sleep=one_day_passes)
    finally:
        await services.aclose()
    assert slept == [PRUNE_INTERVAL_S] * 4
    assert counts == [1, 1, 0]  # after day 1 and day 2 kept; pruned once past 2 days


# --- small leaks and gaps ------------------------------------------------------------------------


def callback_data(call: Any) -> list[str]:
    return [b["callback_data"] for row in keyboard_data(call) for b in row if "callback_data" in b]


def sent_texts(calls: list[Any]) -> list[tuple[str, str]]:
    return [(c.method, c.params.get("text", "")) for c in calls]


async def test_reload_from_a_non_admin_looks_like_any_unknown_command(
    fake_bot: BotUnderTest,
) -> None:
    u = fake_bot.updates
    for chat_id in (None, GROUP_ID):
        for suffix in ("", f"@{BOT_USERNAME}"):
            reload = await fake_bot.send(u.command(f"reload{suffix}", chat_id=chat_id))
            unknown = await fake_bot.send(u.command(f"frobnicate{suffix}", chat_id=chat_id))
            assert sent_texts(reload) == sent_texts(unknown), (chat_id, suffix)
    assert await fake_bot.send(u.command("reload", chat_id=GROUP_ID)) == []  # bare, in a group


def votes(db: Path) -> list[tuple[str, int, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT entry_id, vote, voter FROM feedback ORDER BY id").fetchall()


async def test_forged_feedback_presses_count_one_vote_per_user_and_entry(
    fake_bot: BotUnderTest, tmp_path: Path
) -> None:
    u = fake_bot.updates
    await asyncio.gather(*(fake_bot.send(u.callback("fb:u:task-scam")) for _ in range(500)))
    notices = [c.params.get("text") for c in fake_bot.request.of("answerCallbackQuery")]
    assert len(notices) == 500  # every press is answered (no spinner left)...
    assert notices.count(texts.FEEDBACK_THANKS) <= 10  # ...but the flood limit counts them
    assert texts.FLOODED in notices
    other = Updates(user_id=987_654_321)
    await fake_bot.send(other.callback("fb:d:task-scam"))
    await fake_bot.send(other.callback("fb:d:money-mule"))
    rows = votes(tmp_path / "db.sqlite3")
    assert [(e, v) for e, v, _ in rows] == [
        ("task-scam", 1),
        ("task-scam", -1),
        ("money-mule", -1),
    ]
    voters = [voter for _, _, voter in rows]
    assert all(voter and len(voter) == 64 for voter in voters)
    assert not any(str(uid) in str(voter) for voter in voters for uid in (USER_ID, 987_654_321))
    assert voters[1] != voters[2]  # one user's votes on two entries cannot be linked
    summary = await fake_bot.services.store.feedback_summary()
    assert {(r.entry_id, r.ups, r.downs) for r in summary} == {
        ("task-scam", 1, 1),
        ("money-mule", 0, 1),
    }
    # /forgetme finds the user's votes through their hashes and deletes them too.
    assert await fake_bot.services.store.forget_user(987_654_321) == 2
    assert [(e, v) for e, v, _ in votes(tmp_path / "db.sqlite3")] == [("task-scam", 1)]


async def test_a_retap_after_a_lost_verdict_shows_it_again_with_next(
    fake_bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.telegram import retry

    monkeypatch.setattr(fake_bot.app.bot.rate_limiter, "first_delay_s", 0.001)
    (start,) = await fake_bot.send(fake_bot.updates.command("start", "quiz-starter"))
    option = next(d for d in callback_data(start) if d.startswith("qa:"))
    # The answer is committed, then the verdict never reaches the user (Telegram down).
    fake_bot.request.fail_next("editMessageText", "network", times=retry.NETWORK_RETRIES + 1)
    await fake_bot.send(fake_bot.updates.callback(option, message=start.result))
    ack, verdict = await fake_bot.send(fake_bot.updates.callback(option, message=start.result))
    assert ack.method == "answerCallbackQuery"
    assert ack.params["text"] == texts.QUIZ_ALREADY_ANSWERED
    assert verdict.method == "editMessageText" and "· 1/" in verdict.params["text"]
    assert any(d.startswith("qn:") for d in callback_data(verdict))  # the way on


def test_bm25s_follows_the_log_level() -> None:
    from bot.search.lexical import LexicalScorer
    from tests.conftest import make_entry

    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.NOTSET)  # takes whatever reaches the root's handlers
    handler.emit = seen.append  # type: ignore[method-assign]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # as with SCAMWISE_LOG_LEVEL=INFO
    try:
        LexicalScorer([make_entry("a", "Task scams", ("paid to like videos",))])
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert [r.getMessage() for r in seen if r.name.startswith("bm25s")] == []
