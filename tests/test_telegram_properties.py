"""Properties of the Telegram adapter for arbitrary input: no crash, valid HTML, short data.

Runs the real Application on the fake Bot API with a hash embedder (fast) over the real
knowledge base. Each test keeps one application and event loop for all its examples.
"""

from __future__ import annotations

import asyncio
import contextlib
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

EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    if len(text) > 4096:
        problems.append(f"{len(text)} characters")
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
    for call in tg.request.calls:
        if call.method in TEXT_METHODS:
            assert call.params["text"].strip(), call
            assert html_problems(call.params["text"]) == [], call.params["text"]
        for row in keyboard_data(call):
            for button in row:
                data = button.get("callback_data")
                assert data is None or 1 <= len(data.encode()) <= 64
        if call.method == "answerCallbackQuery":
            assert len(call.params.get("text", "")) <= 200


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
