"""The Telegram adapter end to end: the real PTB Application on a fake Bot API, real index."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from telegram import Update

from bot.conversation import texts
from bot.conversation.core import Conversation
from bot.conversation.markup import bold, plain
from bot.conversation.replies import Button, Image, Reply
from bot.errors import SettingsError
from bot.knowledge.models import KnowledgeBase
from bot.settings import load_settings
from bot.storage import schema
from bot.telegram import build_application, redact, render, retry, runner
from tests.telegram_harness import (
    GROUP_ID,
    MEDIA,
    TOKEN,
    USER_ID,
    BotUnderTest,
    Call,
    keyboard_data,
    started,
    telegram_settings,
)

TASK_QUESTION = "someone pays me to like videos, is it a scam?"
DEEPFAKE_QUESTION = "deepfake video call from my boss asking for money"
OFF_TOPIC = "how do I bake bread"


@pytest.fixture
async def tg(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> AsyncIterator[BotUnderTest]:
    settings = telegram_settings(tmp_path, real_index_dir, admin_ids="1")
    async with started(settings, real_embedder) as bot:
        yield bot


def only(calls: list[Call], method: str = "sendMessage") -> Call:
    assert [c.method for c in calls] == [method], calls
    return calls[0]


def callback_data(call: Call) -> list[str]:
    return [b["callback_data"] for row in keyboard_data(call) for b in row if "callback_data" in b]


def title_html(kb: KnowledgeBase, entry_id: str) -> str:
    entry = kb.get(entry_id)
    assert entry is not None
    return f"<b>{html.escape(entry.title, quote=False)}</b>"


# --- private chat ---------------------------------------------------------------------------


async def test_start_sends_the_welcome_with_buttons(tg: BotUnderTest) -> None:
    call = only(await tg.send(tg.updates.command("start")))
    assert html.unescape(call.params["text"]) == texts.WELCOME
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert callback_data(call) == ["menu", "tip", "report", "quiz"]


async def test_deep_link_opens_that_entry(tg: BotUnderTest, kb: KnowledgeBase) -> None:
    call = only(await tg.send(tg.updates.command("start", "topic-task-scam")))
    assert call.params["text"].startswith(title_html(kb, "task-scam"))


@pytest.mark.parametrize("payload", ["topic-no-such-entry", "topic-", "garbage", "x" * 64])
async def test_unknown_deep_link_gets_the_welcome(tg: BotUnderTest, payload: str) -> None:
    call = only(await tg.send(tg.updates.command("start", payload)))
    assert callback_data(call) == ["menu", "tip", "report", "quiz"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("help", texts.HELP_TITLE),
        ("topics", texts.TOPICS_TITLE),
        ("tips", texts.TIP_TITLE),
        ("report", "If money has just left your account"),
        ("privacy", "entry:privacy"),
        ("forgetme", "cannot be undone"),
        ("whatever", texts.HELP_TITLE),
    ],
)
async def test_each_command_replies(
    tg: BotUnderTest, kb: KnowledgeBase, command: str, expected: str
) -> None:
    call = only(await tg.send(tg.updates.command(command)))
    if expected.startswith("entry:"):
        assert call.params["text"].startswith(title_html(kb, expected.removeprefix("entry:")))
    else:
        assert expected in call.params["text"]


async def test_text_gets_an_html_answer_with_related_and_feedback(
    tg: BotUnderTest, kb: KnowledgeBase
) -> None:
    call = only(await tg.send(tg.updates.text(TASK_QUESTION)))
    assert call.params["text"].startswith(title_html(kb, "task-scam"))
    data = callback_data(call)
    assert "fb:u:task-scam" in data and "fb:d:task-scam" in data
    assert "v:rel:task-scam" in data and "v:do:task-scam" in data
    assert all(len(d.encode()) <= 64 for d in data)


async def test_declined_text_is_kind_and_stored_without_user(tg: BotUnderTest) -> None:
    declined, pointer = await tg.send(tg.updates.text(OFF_TOPIC))
    assert html.unescape(declined.params["text"]) == texts.DECLINED
    assert len(callback_data(declined)) == 3
    assert all(d.startswith("t:") for d in callback_data(declined))
    assert "/report" in pointer.params["text"]
    async with tg.services.store.engine.connect() as conn:
        rows = (await conn.execute(sa.select(schema.unanswered))).mappings().all()
    assert [r["question"] for r in rows] == [OFF_TOPIC]
    assert "user_id" not in rows[0] and str(USER_ID) not in repr(dict(rows[0]))


async def test_topic_browser_edits_the_message(tg: BotUnderTest, kb: KnowledgeBase) -> None:
    topics = only(await tg.send(tg.updates.command("topics")))
    answered, entries = await tg.press(topics, "t:jobs")
    assert (answered.method, entries.method) == ("answerCallbackQuery", "editMessageText")
    assert entries.params["message_id"] == topics.result["message_id"]
    first_entry = callback_data(entries)[0]
    _, entry = await tg.press(entries, first_entry)
    assert entry.method == "editMessageText"
    assert entry.params["text"].startswith(title_html(kb, first_entry.split(":")[1]))
    _, back = await tg.press(entry, "t:jobs")
    assert back.method == "editMessageText" and callback_data(back) == callback_data(entries)


async def test_feedback_is_thanked_and_stored(tg: BotUnderTest) -> None:
    answer = only(await tg.send(tg.updates.text(TASK_QUESTION)))
    answered, edited = await tg.press(answer, "fb:u:task-scam")
    assert answered.params["text"] == texts.FEEDBACK_THANKS
    assert edited.method == "editMessageText"
    assert not any(d.startswith("fb:") for d in callback_data(edited))
    rows = await tg.services.store.feedback_summary()
    assert [(r.entry_id, r.ups, r.downs) for r in rows] == [("task-scam", 1, 0)]


@pytest.mark.parametrize(
    "data", ["", "zzz", "e:no-such-entry", "fb:x:task-scam", "t:../../etc", "é" * 40, "a" * 80]
)
async def test_forged_callback_data_has_expired(tg: BotUnderTest, data: str) -> None:
    call = only(await tg.send(tg.updates.callback(data)), "answerCallbackQuery")
    assert call.params["text"] == texts.EXPIRED


async def test_every_callback_query_is_answered_exactly_once(
    tg: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    presses = ["menu", "tip", "report", "t:crypto", "b:task-scam", "fb:d:task-scam", "fg:no"]
    updates = [tg.updates.callback(d) for d in [*presses, "nonsense"]]
    for update in updates:
        await tg.send(update)

    async def broken(self: Conversation, who: object, data: str) -> None:
        raise RuntimeError("core failure")

    monkeypatch.setattr(Conversation, "on_button", broken)
    updates.append(tg.updates.callback("menu"))
    await tg.send(updates[-1])
    answers = [c.params["callback_query_id"] for c in tg.request.of("answerCallbackQuery")]
    assert sorted(answers) == sorted(u["callback_query"]["id"] for u in updates)


async def test_inline_query_offers_up_to_three_articles(tg: BotUnderTest) -> None:
    call = only(await tg.send(tg.updates.inline("deepfake video call")), "answerInlineQuery")
    results = call.params["results"]
    assert 1 <= len(results) <= 3
    assert results[0]["id"] == "deepfake-video-call"
    assert all(r["type"] == "article" for r in results)
    assert all(r["input_message_content"]["parse_mode"] == "HTML" for r in results)
    assert call.params["is_personal"] is False and call.params["cache_time"] <= 60


@pytest.mark.parametrize("query", ["", "   ", "🙂", "how do I bake bread"])
async def test_empty_or_unknown_inline_query_is_answered_without_error(
    tg: BotUnderTest, query: str
) -> None:
    call = only(await tg.send(tg.updates.inline(query)), "answerInlineQuery")
    assert len(call.params["results"]) <= 3


async def test_edited_messages_and_channel_posts_cause_no_call(tg: BotUnderTest) -> None:
    assert await tg.send(tg.updates.edited(TASK_QUESTION)) == []
    assert await tg.send(tg.updates.channel_post(TASK_QUESTION)) == []


# A photo in private chat is a screenshot to check (tests/test_check_telegram.py).
@pytest.mark.parametrize("kind", sorted(set(MEDIA) - {"photo"}))
async def test_non_text_messages_get_the_unsupported_note(tg: BotUnderTest, kind: str) -> None:
    call = only(await tg.send(tg.updates.media(kind)))
    assert html.unescape(call.params["text"]) == texts.UNSUPPORTED


@pytest.mark.parametrize("kind", ["document"])  # private photos are read (test_check_telegram)
async def test_captions_are_answered_as_text(
    tg: BotUnderTest, kb: KnowledgeBase, kind: str
) -> None:
    call = only(await tg.send(tg.updates.media(kind, caption=TASK_QUESTION)))
    assert call.params["text"].startswith(title_html(kb, "task-scam"))


# --- groups ---------------------------------------------------------------------------------


async def test_group_only_answers_when_spoken_to(tg: BotUnderTest, kb: KnowledgeBase) -> None:
    u = tg.updates
    assert await tg.send(u.text(TASK_QUESTION, chat_id=GROUP_ID)) == []
    assert await tg.send(u.media("sticker", chat_id=GROUP_ID)) == []
    for other in ("help@OtherBot", "start@OtherBot"):
        assert await tg.send(u.command(other, chat_id=GROUP_ID)) == []
        assert await tg.send(u.command(other)) == []  # in private too
    assert await tg.send(u.command("frobnicate", chat_id=GROUP_ID)) == []
    mention = u.mention(DEEPFAKE_QUESTION)
    call = only(await tg.send(mention))
    assert call.params["text"].startswith(title_html(kb, "deepfake-video-call"))
    assert call.params["chat_id"] == GROUP_ID
    assert call.params["reply_parameters"]["message_id"] == mention["message"]["message_id"]
    call = only(await tg.send(u.reply_to_bot(TASK_QUESTION)))
    assert call.params["text"].startswith(title_html(kb, "task-scam"))
    for command in ("help@ScamWiseTestBot", "help"):
        call = only(await tg.send(u.command(command, chat_id=GROUP_ID)))
        assert texts.HELP_TITLE in call.params["text"]


# --- flood, storage, admin ------------------------------------------------------------------


async def test_flood_gets_ten_answers_and_one_notice(tg: BotUnderTest) -> None:
    for _ in range(12):
        await tg.send(tg.updates.text(DEEPFAKE_QUESTION))
    sent = tg.request.texts()
    assert len(sent) == 11
    assert [html.unescape(t) for t in sent].count(texts.FLOODED) == 1
    assert html.unescape(sent[-1]) == texts.FLOODED


async def test_buttons_and_inline_queries_do_not_use_the_message_budget(tg: BotUnderTest) -> None:
    topics = only(await tg.send(tg.updates.command("topics")))
    for _ in range(15):  # a quiz takes two taps per question: taps are never flood-limited
        [answered, edited] = await tg.press(topics, "t:jobs")
        assert answered.method == "answerCallbackQuery" and "text" not in answered.params
        assert edited.method == "editMessageText"
    for _ in range(12):  # typing an inline query sends one per keystroke or so
        assert only(await tg.send(tg.updates.inline("deepfake")), "answerInlineQuery")
    reply = only(await tg.send(tg.updates.text(DEEPFAKE_QUESTION)))
    assert html.unescape(reply.params["text"]) != texts.FLOODED


async def user_rows(tg: BotUnderTest, user_id: int) -> int:
    """How many rows of the user tables belong to this user."""
    async with tg.services.store.engine.connect() as conn:
        counts = [
            (
                await conn.execute(sa.select(sa.func.count()).where(t.c.user_id == user_id))
            ).scalar_one()
            for t in schema.USER_TABLES
        ]
    return int(sum(counts))


async def test_forgetme_confirmed_deletes(tg: BotUnderTest) -> None:
    # The user has data first: a quiz attempt with an answer, and a class they created.
    start = only(await tg.send(tg.updates.command("start", "quiz-starter")))
    await tg.press(start, next(d for d in callback_data(start) if d.startswith("qa:")))
    await tg.send(tg.updates.command("newclass", "starter"))
    other = type(tg.updates)(user_id=USER_ID + 1)
    await tg.send(other.command("start", "quiz-starter"))
    assert await user_rows(tg, USER_ID) == 2 and await user_rows(tg, USER_ID + 1) == 1

    ask = only(await tg.send(tg.updates.command("forgetme")))
    assert callback_data(ask) == ["fg:yes", "fg:no"]
    _, done = await tg.press(ask, "fg:yes")
    assert done.method == "editMessageText"
    assert html.unescape(done.params["text"]) == texts.FORGET_DONE.format(
        records=texts.plural(2, "record")
    )
    assert await user_rows(tg, USER_ID) == 0
    assert await user_rows(tg, USER_ID + 1) == 1  # nobody else's


async def test_reload_for_admins_only(tg: BotUnderTest) -> None:
    admin = type(tg.updates)(user_id=1)
    call = only(await tg.send(admin.command("reload")))
    assert call.params["text"].startswith("Reloaded")
    call = only(await tg.send(tg.updates.command("reload")))
    assert texts.HELP_TITLE in call.params["text"] and "reload" not in call.params["text"]


async def test_reload_with_a_broken_index_keeps_serving(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any, kb: KnowledgeBase
) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(real_index_dir, index_dir)
    settings = telegram_settings(tmp_path, index_dir, admin_ids="424242")
    async with started(settings, real_embedder) as tg:
        for path in index_dir.iterdir():
            path.write_bytes(b"not an index")
        call = only(await tg.send(tg.updates.command("reload")))
        assert call.params["text"].startswith("Reload failed")
        call = only(await tg.send(tg.updates.text(TASK_QUESTION)))
        assert call.params["text"].startswith(title_html(kb, "task-scam"))


# --- rendering ------------------------------------------------------------------------------


async def test_long_replies_are_split_with_the_keyboard_last(tg: BotUnderTest) -> None:
    paragraphs = [
        f"Paragraph {i}: " + "careful with strangers & <links>. " * 12 for i in range(40)
    ]
    reply = Reply(
        (bold("Long"), plain("\n\n" + "\n\n".join(paragraphs))), ((Button("OK", "menu"),),)
    )
    await render.send_replies(tg.app.bot, USER_ID, [reply])
    calls = tg.request.of("sendMessage")
    assert len(calls) > 1
    assert all(len(c.params["text"]) <= 4096 for c in calls)
    assert [bool(keyboard_data(c)) for c in calls] == [False] * (len(calls) - 1) + [True]
    plain_text = "".join(html.unescape(c.params["text"]) for c in calls)
    assert plain_text.count("careful with strangers & <links>.") == 40 * 12


async def test_image_replies_become_photos(tg: BotUnderTest) -> None:
    reply = Reply((plain("Scan me"),), ((Button("Site", url="https://example.org"),),),
                  image=Image(b"\x89PNG fake", "qr.png", "QR"))  # fmt: skip
    await render.send_replies(tg.app.bot, USER_ID, [reply])
    call = only(tg.request.calls, "sendPhoto")
    assert call.params["caption"] == "Scan me" and call.files
    assert keyboard_data(call) == [[{"text": "Site", "url": "https://example.org"}]]


@pytest.mark.parametrize(
    ("why", "methods"),
    [
        ("Bad Request: message is not modified", ["editMessageText"]),
        ("Bad Request: message to edit not found", ["editMessageText", "sendMessage"]),
    ],
)
async def test_failed_edits(tg: BotUnderTest, why: str, methods: list[str]) -> None:
    topics = only(await tg.send(tg.updates.command("topics")))
    tg.request.fail_next("editMessageText", "400", why=why)
    calls = await tg.press(topics, "t:ai")
    assert [c.method for c in calls] == ["answerCallbackQuery", *methods]


# --- errors and faults ----------------------------------------------------------------------


async def test_errors_are_logged_and_the_user_gets_a_short_note(
    tg: BotUnderTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: Conversation, who: object, text: str) -> None:
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr(Conversation, "on_text", broken)
    update = tg.updates.text(TASK_QUESTION)
    call = only(await tg.send(update))
    assert call.params["text"] == texts.ERROR
    assert f"update {update['update_id']} caused an error" in caplog.text
    assert "boom" in caplog.text and "Traceback" in caplog.text


# PTB itself reads RetryAfter.retry_after, which warns about its future type.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_is_retried_and_delivered(tg: BotUnderTest) -> None:
    tg.request.fail_next("sendMessage", "429")
    calls = await tg.send(tg.updates.command("help"))
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]
    assert texts.HELP_TITLE in calls[1].params["text"]


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back off 10 ms instead of half a second (set before the application is built)."""
    monkeypatch.setattr(retry, "FIRST_DELAY_S", 0.01)


@pytest.mark.parametrize("kind", ["502", "500", "network"])
async def test_one_blip_costs_a_delay_not_the_reply(
    quick_retries: None, tg: BotUnderTest, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    tg.request.fail_next("sendMessage", kind)
    update = tg.updates.command("help")
    calls = await tg.send(update)
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]
    assert texts.HELP_TITLE in calls[1].params["text"]
    assert "caused an error" not in caplog.text


@pytest.mark.parametrize("kind", ["408", "400"])
async def test_final_answers_are_not_retried(
    quick_retries: None, tg: BotUnderTest, kind: str
) -> None:
    # 400 is final; a 408-style timeout on a send may have been delivered: sending it again
    # could post it twice (a timeout is only retried for edits and answers).
    if kind == "408":
        tg.request.fail_next("sendMessage", "timeout")
    else:
        tg.request.fail_next("sendMessage", "400", why="Bad Request: chat not found")
    calls = await tg.send(tg.updates.command("help"))
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]  # no second try
    assert texts.HELP_TITLE in calls[0].params["text"] and calls[1].params["text"] == texts.ERROR


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_four_429s_in_a_row_end_in_one_apology(tg: BotUnderTest) -> None:
    tg.request.fail_next("sendMessage", "429", times=4)
    calls = await tg.send(tg.updates.command("help"))
    assert [c.method for c in calls] == ["sendMessage"] * 5
    assert [c.params["text"] for c in calls[4:]] == [texts.ERROR]


@pytest.mark.parametrize("kind", ["502", "500", "network"])
async def test_send_failures_do_not_stop_the_bot(
    quick_retries: None, tg: BotUnderTest, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    tg.request.fail_next("sendMessage", kind, times=retry.NETWORK_RETRIES + 1)
    update = tg.updates.text(OFF_TOPIC)
    await tg.send(update)
    assert f"update {update['update_id']} caused an error" in caplog.text
    call = only(await tg.send(tg.updates.command("help")))
    assert texts.HELP_TITLE in call.params["text"]
    rows = await tg.services.store.top_unanswered()
    assert [r.question for r in rows] == [OFF_TOPIC]


async def test_the_token_never_reaches_the_log(
    tmp_path: Path,
    real_index_dir: Path,
    real_embedder: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Log records, and everything written to stderr: a handler as basicConfig makes one."""
    records: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: records.append(logging.Formatter().format(record))  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    redact.install_redaction(TOKEN)
    redact.guard_stderr()
    stderr_handler = logging.StreamHandler(sys.stderr)  # what the runner's basicConfig adds
    root.addHandler(stderr_handler)
    try:
        settings = telegram_settings(tmp_path, real_index_dir)
        async with started(settings, real_embedder) as tg:
            why = f"failed: bot{TOKEN}/sendMessage"
            tg.request.fail_next(
                "sendMessage", "network", times=retry.NETWORK_RETRIES + 1, why=why
            )
            tg.app.bot.rate_limiter.first_delay_s = 0.001
            for update in (tg.updates.command("start"), tg.updates.text(TASK_QUESTION)):
                await tg.send(update)
            logging.getLogger("httpx").warning("HTTP Request: POST https://x/bot%s/getMe", TOKEN)
            print(f"an uncaught error naming {TOKEN}", file=sys.stderr)
    finally:
        root.removeHandler(handler)
        root.removeHandler(stderr_handler)
    err = capfd.readouterr().err
    everything = "\n".join(records) + caplog.text + err
    # The token really went through: the scrubbed versions of those lines are there.
    assert "Set Bot API URL" in everything
    assert "failed: bot[REDACTED]/sendMessage" in everything
    assert "failed: bot[REDACTED]/sendMessage" in err  # the traceback on stderr, scrubbed
    assert "an uncaught error naming [REDACTED]" in err
    assert TOKEN not in everything
    assert TOKEN.split(":", 1)[1] not in everything


async def test_build_application_twice_in_one_process(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> None:
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        async with started(telegram_settings(folder, real_index_dir), real_embedder) as tg:
            call = only(await tg.send(tg.updates.command("help")))
            assert texts.HELP_TITLE in call.params["text"]


def test_missing_token_names_the_variable(tmp_path: Path) -> None:
    settings = load_settings(knowledge_dir=tmp_path)
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        build_application(settings)


# --- running: webhook, polling, SIGHUP ------------------------------------------------------

SECRET = "s3cret-Hook_value"
HOOK_URL = "https://bot.example.org/tg/hook"


class StubApp:
    """Stands in for the Application in run_telegram: records how it was started."""

    def __init__(self) -> None:
        self.post_init = None
        self.post_stop = None
        self.started: tuple[str, dict[str, Any]] | None = None

    def run_polling(self, **kwargs: Any) -> None:
        self.started = ("polling", kwargs)


@pytest.mark.parametrize("url", [None, HOOK_URL])
def test_run_telegram_picks_polling_or_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str | None
) -> None:
    stub = StubApp()
    served: list[tuple[str, str]] = []

    async def serve(application: Any, settings: Any, path: str, secret: str) -> None:
        served.append((path, secret))

    monkeypatch.setattr(runner, "build_application", lambda settings: stub)
    monkeypatch.setattr(runner, "serve_webhook", serve)
    settings = telegram_settings(tmp_path, tmp_path, webhook_url=url, webhook_secret=SECRET)
    runner.run_telegram(settings)
    assert stub.post_init is not None and stub.post_stop is not None
    if url is None:
        assert stub.started is not None and stub.started[0] == "polling"
        assert stub.started[1]["allowed_updates"] == Update.ALL_TYPES
        assert stub.started[1]["drop_pending_updates"] is False
        assert served == []
    else:
        assert stub.started is None and served == [("tg/hook", SECRET)]


def test_webhook_mode_requires_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "build_application", lambda settings: StubApp())
    settings = telegram_settings(tmp_path, tmp_path, webhook_url=HOOK_URL)
    with pytest.raises(SettingsError, match="SCAMWISE_WEBHOOK_SECRET"):
        runner.run_telegram(settings)


# The harness does not start() the application, so PTB warns that it will not await the task.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")
async def test_sighup_reloads(tg: BotUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    """A real SIGHUP to this process, through the handler post_init installs."""
    caplog.set_level(logging.INFO)
    loop = asyncio.get_running_loop()
    serving = tg.services.retriever
    await runner.with_sighup_reload(None)(tg.app)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(500):
            if tg.services.retriever is not serving:
                break
            await asyncio.sleep(0.02)
        assert tg.services.retriever is not serving  # the index was loaded again
        for _ in range(100):
            if "SIGHUP: Reloaded" in caplog.text:
                break
            await asyncio.sleep(0.02)
        assert "SIGHUP: Reloaded" in caplog.text
    finally:
        loop.remove_signal_handler(signal.SIGHUP)


# --- short answers, sections and regions (issue 13) ----------------------------------------


async def test_group_answer_is_short_with_a_deep_link(tg: BotUnderTest, kb: KnowledgeBase) -> None:
    call = only(await tg.send(tg.updates.mention(DEEPFAKE_QUESTION)))
    entry = kb.get("deepfake-video-call")
    assert html.escape(entry.short, quote=False) in call.params["text"]
    assert html.escape(entry.answer, quote=False) not in call.params["text"]
    [[button]] = keyboard_data(call)
    assert button["url"] == "https://t.me/ScamWiseTestBot?start=topic-deepfake-video-call"


async def test_sections_edit_the_message_and_the_region_is_kept(
    tg: BotUnderTest, kb: KnowledgeBase
) -> None:
    answer = only(await tg.send(tg.updates.text(TASK_QUESTION)))
    _, edited = await tg.press(answer, "v:do:task-scam")
    assert edited.method == "editMessageText" and "Where do you live" in edited.params["text"]
    assert all(len(d.encode()) <= 64 for d in callback_data(edited))
    toast, chosen = await tg.press(edited, "rs:au:task-scam")
    assert "Australia" in toast.params["text"] and chosen.method == "editMessageText"
    assert "Scamwatch" in chosen.params["text"] and "(to report)" in chosen.params["text"]
    report = only(await tg.send(tg.updates.command("region")))
    assert report.params["text"].startswith("📍 Where do you live")
    hotlines = only(await tg.send(tg.updates.command("report")))
    assert "Australia" in hotlines.params["text"] and "000." in hotlines.params["text"]
