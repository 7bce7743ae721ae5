"""Faults while running: /reload under traffic, retention while running, flood state, votes.

The real Application on the offline Bot API with the hash embedder over the real knowledge base
(fast: no model), so these tests exercise the adapter and the core, not the search quality.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.conversation import texts
from tests.conftest import FakeEmbedder
from tests.telegram_harness import BotUnderTest, Updates, started, telegram_settings

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
