"""Telegram's limits are in UTF-16 code units: an emoji counts two. Every limit is kept so."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot

from bot.conversation.markup import bold, plain, split_html
from bot.conversation.replies import Article, Image, Reply, Who
from bot.conversation.utf16 import utf16_cut, utf16_len
from bot.knowledge.models import KnowledgeBase
from bot.telegram import render
from bot.telegram.offline import TOKEN, USER_ID, OfflineRequest
from tests.telegram_harness import KNOWLEDGE

EMOJI_HEAVY = "🚩💸🤖 " * 10


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3 and utf16_len("🚩") == 2 and utf16_len("中文") == 2
    assert utf16_cut("🚩🚩🚩", 5) == "🚩🚩…" and utf16_cut("short", 10) == "short"


def test_an_emoji_heavy_reply_is_split_within_4096_units() -> None:
    spans = []
    for n in range(40):
        spans += [bold(f"🚩 Point {n} "), plain(EMOJI_HEAVY * 4 + "\n\n")]
    pieces = split_html(spans)
    assert sum(len(p) for p in pieces) < 4096 * len(pieces)  # the check below is the point
    assert len(pieces) > 1
    assert all(utf16_len(piece) <= 4096 for piece in pieces), [utf16_len(p) for p in pieces]
    one_paragraph = split_html([plain("😀" * 3000)])  # 6,000 units without a blank line
    assert all(utf16_len(piece) <= 4096 for piece in one_paragraph)
    assert "".join(one_paragraph) == "😀" * 3000


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("a 🙂\n中&<"), min_size=1, max_size=9000))
def test_split_html_never_exceeds_the_limit_in_utf16(text: str) -> None:
    assert all(utf16_len(piece) <= 4096 for piece in split_html([plain(text)]))


def test_notices_poll_fields_and_inline_fields_are_cut_in_utf16() -> None:
    assert utf16_len(render.notice_text([Reply((plain("👍" * 150),))]) or "") <= 200
    assert utf16_len(render.toast("🙂" * 150) or "") <= 200
    assert utf16_len(render.fit("🙂" * 200, 300)) <= 300
    assert utf16_len(render.fit("🙂" * 60, 100)) <= 100
    (result,) = render.inline_results([Article("task-scam", "🚩" * 80, "💸" * 150, (plain("x"),))])
    assert utf16_len(result.title) <= render.MAX_INLINE_TITLE
    assert utf16_len(result.description or "") <= render.MAX_INLINE_DESCRIPTION


async def test_a_caption_over_1024_units_goes_in_its_own_message() -> None:
    request = OfflineRequest()
    bot = Bot(TOKEN, request=request)
    await bot.initialize()
    caption = "🎓" * 700  # 700 characters, 1,400 units
    reply = Reply((plain(caption),), image=Image(b"\x89PNG", "qr.png", caption))
    await render.send_replies(bot, USER_ID, [reply])
    photo, text = request.calls[-2:]
    assert photo.method == "sendPhoto" and "caption" not in photo.params
    assert text.method == "sendMessage" and text.params["text"] == caption
    await bot.shutdown()


@pytest.mark.parametrize("length", [41, 5000])
async def test_an_unknown_quiz_id_is_not_echoed_at_length(length: int, kb: KnowledgeBase) -> None:
    from bot.conversation.quiz_flow import MAX_ECHO, QuizFlow
    from bot.quizzes.engine import QuizEngine
    from bot.quizzes.loader import load_quizzes

    quizzes = load_quizzes(KNOWLEDGE / "quizzes", kb)
    flow = QuizFlow(QuizEngine(quizzes, store=None), lambda: "Bot")  # type: ignore[arg-type]
    typed = "x" * length
    (reply,) = await flow.command(Who(user_id=5, chat_id=5), "quiz", typed)
    text = reply.plain_text()
    assert typed not in text and "x" * (MAX_ECHO - 1) in text
