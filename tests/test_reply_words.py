"""scripts/reply_words.py measures the first reply from the real conversation core."""

from __future__ import annotations

import asyncio

from bot.knowledge.models import KnowledgeBase
from tests.test_scripts import load_script


def test_first_reply_words_before_and_after(kb: KnowledgeBase) -> None:
    script = load_script("reply_words")
    figures = asyncio.run(script.measure(kb))
    assert figures["before"]["entries"] == figures["after"]["entries"] == len(kb.entries)
    assert figures["after"]["median"] < figures["before"]["median"] / 3
    longest_short = max(len(e.title.split()) + len(e.short.split()) for e in kb.entries)
    assert longest_short <= figures["after"]["max"] <= longest_short + 60  # + under-18 note
