"""Properties of the Telegram adapter for arbitrary input: no crash, valid HTML, short data.

A hypothesis fuzz of texts, captions, commands, callback data, inline queries and /start
payloads through `build_application`: the real Application on the fake Bot API with a hash
embedder (fast) over the real knowledge base. Each test keeps one application and event loop
for all its examples. Every Bot API call must pass Telegram's limits, counted as Telegram
counts them (UTF-16 code units; callback data and result ids in bytes).

SCAMWISE_FUZZ_EXAMPLES sets the examples per test (default 60, about 300 in all); e.g.
`SCAMWISE_FUZZ_EXAMPLES=2000 python -m pytest tests/test_telegram_properties.py` for a long run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import Callable, Coroutine, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FakeEmbedder
from tests.telegram_harness import (
    BOT_USERNAME,
    GROUP_ID,
    TEXT_METHODS,
    BotUnderTest,
    keyboard_data,
    started,
    telegram_settings,
    utf16_len,
)

FUZZ_EXAMPLES = int(os.environ.get("SCAMWISE_FUZZ_EXAMPLES", "60"))
EXAMPLES = settings(
    max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span",
}  # fmt: skip
BAD_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
ACTIONS = ["menu", "tl", "tip", "report", "t:jobs", "e:task-scam", "b:task-scam",
           "fb:u:task-scam", "fb:d:money-mule", "fg:no", "t:nope", "e:nope"]  # fmt: skip


class TelegramHTML(HTMLParser):
    """Collects what Telegram's HTML parse mode would reject in a text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        allowed_attrs = {"a": {"href"}, "code": {"class"}, "blockquote": {"expandable"}}
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        elif tag == "span" and names != {"class": "tg-spoiler"}:
            self.problems.append(f"span attributes {names}")
        elif tag != "span" and not set(names) <= allowed_attrs.get(tag, set()):
            self.problems.append(f"<{tag}> attributes {names}")
        elif tag == "a" and not names.get("href"):
            self.problems.append("<a> without href")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problems.append(f"entity &{name};")


def html_problems(text: str) -> list[str]:
    """Everything wrong with a text for Telegram's HTML parse mode (empty when fine)."""
    parser = TelegramHTML()
    parser.feed(text)
    parser.close()
    problems = parser.problems + [f"unclosed <{t}>" for t in parser.stack]
    if BAD_AMPERSAND.search(text):
        problems.append("bare &")
    if utf16_len(text) > 4096:
        problems.append(f"{utf16_len(text)} UTF-16 units")
    return problems


Feed = Callable[[BotUnderTest, Any], Coroutine[Any, Any, None]]


@pytest.fixture
def check_property(tmp_path: Path, fake_index_dir: Path) -> Iterator[Callable[..., None]]:
    """Run `feed` for every example on one started bot; check what was sent each time."""
    config = telegram_settings(tmp_path, fake_index_dir, flood_limit=100_000)
    runner = asyncio.Runner()
    stack = contextlib.AsyncExitStack()
    tg: BotUnderTest = runner.run(stack.enter_async_context(started(config, FakeEmbedder())))
    errors: list[BaseException | None] = []

    async def record_error(update: object, context: Any) -> None:
        errors.append(context.error)

    tg.app.add_error_handler(record_error)

    def check(strategy: st.SearchStrategy[Any], feed: Feed) -> None:
        @EXAMPLES
        @given(strategy)
        def prop(value: Any) -> None:
            tg.request.clear()
            runner.run(feed(tg, value))
            assert errors == []
            assert_valid_calls(tg)

        prop()

    try:
        yield check
    finally:
        runner.run(stack.aclose())
        runner.close()


def assert_valid_calls(tg: BotUnderTest) -> None:
    """Every recorded call within Telegram's limits (UTF-16 units, bytes where Telegram says)."""
    for call in tg.request.calls:
        if call.method in TEXT_METHODS:
            assert call.params["text"].strip(), call
            assert html_problems(call.params["text"]) == [], call.params["text"]
        if call.method == "sendPhoto" and call.params.get("caption") is not None:
            assert utf16_len(call.params["caption"]) <= 1024
            assert html_problems(call.params["caption"]) == []
        for row in keyboard_data(call):
            for button in row:
                data = button.get("callback_data")
                assert data is None or 1 <= len(data.encode()) <= 64
                assert utf16_len(button["text"]) >= 1
        if call.method == "answerCallbackQuery":
            assert utf16_len(call.params.get("text", "")) <= 200
        if call.method == "answerInlineQuery":
            assert_valid_inline(call.params["results"])
        if call.method == "sendPoll":
            assert 1 <= utf16_len(call.params["question"]) <= 300
            assert all(1 <= utf16_len(o["text"]) <= 100 for o in options(call.params))
            assert utf16_len(call.params.get("explanation") or "") <= 200


def options(params: dict[str, Any]) -> list[dict[str, Any]]:
    raw = params["options"]
    return [json.loads(o) if isinstance(o, str) else o for o in raw]


def assert_valid_inline(results: Any) -> None:
    """Inline results: at most 50, ids of 1-64 bytes, each posting valid HTML of 4096 units."""
    results = json.loads(results) if isinstance(results, str) else results
    assert len(results) <= 50
    for result in results:
        assert 1 <= len(result["id"].encode()) <= 64
        assert result["title"].strip()
        content = result["input_message_content"]
        assert html_problems(content["message_text"]) == [], content["message_text"]
        assert 1 <= utf16_len(content["message_text"]) <= 4096


long_text = st.text(min_size=3000, max_size=6000)
any_text = st.one_of(st.text(), long_text, st.text(alphabet="🙂👍 <&>\x00\n\t*_`[]", max_size=50))


async def feed_text(tg: BotUnderTest, case: tuple[str, str]) -> None:
    text, where = case
    u = tg.updates
    if where == "mention":
        handle = f"@{BOT_USERNAME} "
        entity = {"type": "mention", "offset": 0, "length": utf16_len(handle) - 1}
        await tg.send(u.text(handle + text, chat_id=GROUP_ID, entities=[entity]))
    elif where == "caption":
        await tg.send(u.media("photo", caption=text))
    else:
        await tg.send(u.text(text))


def test_any_message_text(check_property: Callable[..., None]) -> None:
    where = st.sampled_from(["private", "mention", "caption"])
    check_property(st.tuples(any_text, where), feed_text)


async def feed_payload(tg: BotUnderTest, payload: str) -> None:
    calls = await tg.send(tg.updates.command("start", payload))
    assert [c.method for c in calls] == ["sendMessage"]


def test_any_deep_link_payload(check_property: Callable[..., None]) -> None:
    payloads = st.one_of(
        st.text(max_size=80),
        st.from_regex(r"[A-Za-z0-9_-]{0,64}", fullmatch=True),
        st.from_regex(r"topic-[a-z-]{0,30}", fullmatch=True),
    )
    check_property(payloads, feed_payload)


async def feed_callback(tg: BotUnderTest, data: str) -> None:
    update = tg.updates.callback(data)
    calls = await tg.send(update)
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert [a.params["callback_query_id"] for a in answers] == [update["callback_query"]["id"]]


def test_any_callback_data(check_property: Callable[..., None]) -> None:
    data = st.one_of(
        st.text(max_size=80).filter(lambda s: len(s.encode()) <= 80),
        st.binary(max_size=80).map(lambda b: b.decode("utf-8", errors="replace")),
        st.from_regex(
            r"[a-z]{1,8}(:[A-Za-z0-9_.\-]{1,56})?(:[A-Za-z0-9_.\-]{1,40})?", fullmatch=True
        ),
        st.sampled_from(ACTIONS),
    )
    check_property(data, feed_callback)


def test_html_checker_catches_bad_markup() -> None:
    assert html_problems("<b>ok</b> &amp; <a href='https://x'>x</a>") == []
    assert html_problems("<div>x</div>")
    assert html_problems("<b>open")
    assert html_problems("a & b")
    assert html_problems("<i><b>x</i></b>")


COMMANDS = ["start", "help", "topics", "tips", "tip", "report", "privacy", "forgetme", "quiz",
            "newclass", "results", "classes", "closeclass", "reload", "frobnicate"]  # fmt: skip
emoji_text = st.text(alphabet=st.sampled_from("a 🙂🚩中&<>\n"), max_size=300)


async def feed_command(tg: BotUnderTest, case: tuple[str, str, str, bool]) -> None:
    name, target, args, group = case
    command = f"{name}@{target}" if target else name
    await tg.send(tg.updates.command(command, args, chat_id=GROUP_ID if group else None))


def test_any_command(check_property: Callable[..., None]) -> None:
    names = st.one_of(st.sampled_from(COMMANDS), st.from_regex(r"[a-z_0-9]{1,32}", fullmatch=True))
    targets = st.sampled_from(["", BOT_USERNAME, "OtherBot"])
    args = st.one_of(st.text(max_size=200), emoji_text, st.sampled_from(["starter", "AB12CD34"]))
    check_property(st.tuples(names, targets, args, st.booleans()), feed_command)


async def feed_inline(tg: BotUnderTest, query: str) -> None:
    calls = await tg.send(tg.updates.inline(query))
    assert [c.method for c in calls] == ["answerInlineQuery"]


def test_any_inline_query(check_property: Callable[..., None]) -> None:
    queries = st.one_of(
        st.text(max_size=256),
        emoji_text,
        st.sampled_from(["deepfake call from my boss", "pay to like videos", "crypto 🚀🚀"]),
    )
    check_property(queries, feed_inline)
