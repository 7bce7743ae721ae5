"""One scripted conversation through the console and through Telegram gives the same answers.

Both adapters drive the same `Conversation`; per step we compare the console's printed blocks
with the Telegram messages turned back into the console's format (HTML to plain text, links as
"text (url)", buttons numbered "[n] label").
"""

from __future__ import annotations

import random
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bot.console import EARLIER, ConsoleChat
from bot.conversation.replies import Who
from tests.telegram_harness import (
    TEXT_METHODS,
    BotUnderTest,
    Call,
    keyboard_data,
    started,
    telegram_settings,
)

# Lines are typed text or commands; "press: <label start>" presses a button of the last replies.
SCRIPT = [
    "/start",
    "someone pays me to like videos, is it a scam?",
    "press: ✅ What to do",  # asks the region in place
    "press: 🇬🇧",
    "press: 🌏 Other regions",
    "press: ⬅️ Back",
    "press: ⬅️ Back",
    "press: 🔗 Related",
    "press: ➡️",
    "press: 📚 Sources",
    "/topics",
    "press: 💼",
    "press: ",  # the first entry of the topic
    "press: ⬅️ Back",
    "what is the best pizza recipe in naples",
    "/report",
    "press: 🌏 Other regions",
    "/region",
    "/tips",
    "press: 💡 Another tip",
    "they want me to pay a fee before starting the job",
    "press: 👍",
]


class PlainText(HTMLParser):
    """Telegram HTML back to the console's plain text (links as "text (url)")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: str | None = None
        self.anchor: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.href, self.anchor = dict(attrs).get("href"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.href and self.href != "".join(self.anchor):
            self.out.append(f" ({self.href})")
        if tag == "a":
            self.href = None

    def handle_data(self, data: str) -> None:
        self.out.append(data)
        self.anchor.append(data)


def plain(html_text: str) -> str:
    parser = PlainText()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.out)


class TelegramSide:
    """Plays the script on Telegram and renders each step like the console does."""

    def __init__(self, tg: BotUnderTest) -> None:
        self.tg = tg
        self.buttons: list[tuple[dict[str, Any], Call]] = []

    async def step(self, line: str) -> list[str]:
        updates = self.tg.updates
        pressed: Call | None = None
        if line.startswith("press: "):
            button, pressed = find(
                self.buttons, line.removeprefix("press: "), lambda b: b[0]["text"]
            )
            calls = await self.tg.send(updates.callback(button["callback_data"], pressed.result))
        elif line.startswith("/"):
            command, _, args = line[1:].partition(" ")
            calls = await self.tg.send(updates.command(command, args))
        else:
            calls = await self.tg.send(updates.text(line))
        return self.blocks(calls, pressed)

    def blocks(self, calls: list[Call], pressed: Call | None = None) -> list[str]:
        """Like the console: an edit that keeps the text shows only its buttons, and a new
        message after a press keeps the pressed message's buttons listed after it."""
        blocks: list[str] = []
        buttons: list[tuple[dict[str, Any], Call]] = []
        for call in calls:
            if call.method == "answerCallbackQuery" and call.params.get("text"):
                blocks.append(f"({call.params['text']})")
            if call.method not in TEXT_METHODS:
                continue
            text = plain(call.params["text"])
            same = pressed is not None and text == plain(pressed.params["text"])
            lines = [] if call.method == "editMessageText" and same else [text]
            for button in (b for row in keyboard_data(call) for b in row):
                target = f" → {button['url']}" if "url" in button else ""
                lines.append(f"  [{len(buttons) + 1}] {button['text']}{target}")
                buttons.append((button, call))
            blocks.append("\n".join(lines))
        sent = [c for c in calls if c.method in TEXT_METHODS]
        if pressed is not None and sent and all(c.method != "editMessageText" for c in sent):
            kept = [b for b, c in self.buttons if c is pressed]
            if kept:
                lines = ["  " + EARLIER]
                for button in kept:
                    lines.append(f"  [{len(buttons) + 1}] {button['text']}")
                    buttons.append((button, pressed))
                blocks.append("\n".join(lines))
        if sent:
            self.buttons = buttons
        return blocks


def find(items: list[Any], label_start: str, label: Any) -> Any:
    matches = [item for item in items if label(item).startswith(label_start)]
    assert matches, f"no button starting with {label_start!r}"
    return matches[0]


async def console_step(chat: ConsoleChat, line: str) -> list[str]:
    if line.startswith("press: "):
        labels = [(i, b.label) for i, b in enumerate(chat.buttons, 1)]
        number, _ = find(labels, line.removeprefix("press: "), lambda item: item[1])
        return await chat.handle(str(number))
    return await chat.handle(line)


async def test_console_and_telegram_give_the_same_answers(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> None:
    settings = telegram_settings(tmp_path, real_index_dir, flood_limit=1000)
    async with started(settings, real_embedder) as tg:
        conversation = tg.services.conversation
        console = ConsoleChat(conversation, Who(user_id=1, chat_id=1))
        telegram = TelegramSide(tg)
        for line in SCRIPT:
            conversation.rng = random.Random(7)
            expected = await console_step(console, line)
            conversation.rng = random.Random(7)
            got = await telegram.step(line)
            assert got == expected, f"step {line!r} differs"
            assert expected, f"step {line!r} produced nothing"
        feedback = await tg.services.store.feedback_summary()
        assert [(r.ups, r.downs) for r in feedback] == [(2, 0)]
