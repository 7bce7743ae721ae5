"""The console adapter: typed lines and numbered choices in, plain text out.

It drives the same `Conversation` as the Telegram adapter, so a scripted conversation gives the
same answers in both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.conversation.core import Conversation
from bot.conversation.markup import plain
from bot.conversation.replies import Button, Outcome, Reply, Who
from bot.i18n import N_, _

QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
# Multi-line paste: "/check" alone on a line, then the message, then an empty line.
PASTE_PROMPT = N_("Paste the message (several lines are fine), then an empty line to check it.")
CONSOLE_USER = Who(user_id=1, chat_id=1, first_name="you")
BLANK_HINT = N_("Type a question or paste a message you received, pick a number, or send /help.")
NO_SUCH_CHOICE = N_("There is no choice {number} here: pick a number from the list, 1 to {last}.")
NO_SUCH_CHOICE_ONE = N_("There is no choice {number} here: pick a number from the list, 1.")
NO_CHOICES = N_("There is nothing to pick right now: type a question, or send /help.")
EARLIER = N_("(still on the earlier message)")
OPEN_LINK = N_("Open this link: {url}")
IMAGE_NOTE = N_("(image: {filename}; shown in Telegram)")


def render_reply(reply: Reply, first_number: int) -> tuple[str, list[Button]]:
    """Plain text of a reply with its buttons numbered from `first_number`."""
    lines = [reply.plain_text()]
    buttons = [b for row in reply.buttons for b in row]
    for offset, button in enumerate(buttons):
        target = f" → {button.url}" if button.url else ""
        lines.append(f"  [{first_number + offset}] {button.label}{target}")
    if reply.image is not None:
        lines.append("  " + _(IMAGE_NOTE).format(filename=reply.image.filename))
    return "\n".join(lines), buttons


class ConsoleChat:
    """Keeps the numbered buttons of the last replies and maps typed lines onto the core."""

    def __init__(self, conversation: Conversation, who: Who = CONSOLE_USER) -> None:
        """Chat as `who` (its language_code is `--lang`, standing in for Telegram's)."""
        self.conversation = conversation
        self.who = who
        self.buttons: list[Button] = []
        self.groups: list[list[Button]] = []  # the buttons of each shown message, in order
        self.last_text: list[str] = []  # the text of each shown message
        self.pasted: list[str] | None = None  # lines of a multi-line paste being collected

    async def _say(self, msgid: str, **values: object) -> str:
        """One of the console's own texts, in the user's language."""

        def build() -> list[Reply]:
            return [Reply((plain(_(msgid).format(**values)),))]

        [reply] = await self.conversation.say(self.who, build)
        return reply.plain_text()

    async def handle(self, line: str) -> list[str]:
        """Blocks of text to print in answer to one typed line."""
        if self.pasted is not None:
            return await self._paste_line(line)
        text = line.strip()
        if not text:
            return [await self._say(BLANK_HINT)]
        if text.lower() == "/check":
            self.pasted = []
            return [await self._say(PASTE_PROMPT)]
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return self._show(await self.conversation.on_command(self.who, command, args.strip()))
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return await self._press(self.buttons[int(text) - 1])
        if text.isdigit():
            if not self.buttons:
                return [await self._say(NO_CHOICES)]
            if len(self.buttons) == 1:
                return [await self._say(NO_SUCH_CHOICE_ONE, number=text)]
            return [await self._say(NO_SUCH_CHOICE, number=text, last=len(self.buttons))]
        return self._show(await self.conversation.on_text(self.who, text))

    async def _paste_line(self, line: str) -> list[str]:
        """Collect a pasted message line by line; an empty line ends it and checks it."""
        assert self.pasted is not None
        if line.strip():
            self.pasted.append(line.rstrip("\n"))
            return []
        message, self.pasted = "\n".join(self.pasted), None
        return self._show(await self.conversation.on_check(self.who, message, source="paste"))

    async def _press(self, button: Button) -> list[str]:
        if button.url:
            return [await self._say(OPEN_LINK, url=button.url)]
        pressed = next((g for g in self.groups if any(b is button for b in g)), [])
        outcome: Outcome = await self.conversation.on_button(self.who, button.action)
        blocks = [f"({outcome.notice})"] if outcome.notice else []
        if not outcome.replies:
            return blocks
        if len(outcome.replies) == 1 and outcome.replies[0].edit:
            reply = outcome.replies[0]
            if reply.plain_text() in self.last_text:  # same text: confirm, do not reprint
                return blocks + self._show([reply], text=False)
            return blocks + self._show([reply])
        shown = self._show(outcome.replies)
        if not any(r.edit for r in outcome.replies) and pressed:
            # A new message leaves the pressed one (and its buttons, e.g. a quiz's Next) in
            # place, as in Telegram: its choices stay available after the new ones.
            shown.append(self._keep(pressed, await self._say(EARLIER)))
        return blocks + shown

    def _keep(self, buttons: list[Button], earlier: str) -> str:
        lines = ["  " + earlier]
        for button in buttons:
            self.buttons.append(button)
            lines.append(f"  [{len(self.buttons)}] {button.label}")
        self.groups.append(list(buttons))
        return "\n".join(lines)

    def _show(self, replies: list[Reply], *, text: bool = True) -> list[str]:
        blocks: list[str] = []
        self.buttons, self.groups, self.last_text = [], [], []
        for reply in replies:
            block, buttons = render_reply(reply, len(self.buttons) + 1)
            self.buttons.extend(buttons)
            self.groups.append(buttons)
            self.last_text.append(reply.plain_text())
            if not text:
                first = len(self.buttons) - len(buttons) + 1
                numbered = enumerate((b.label for b in buttons), first)
                block = "\n".join(f"  [{n}] {label}" for n, label in numbered)
            blocks.append(block)
        return blocks


async def run_console(
    chat: ConsoleChat,
    read: Callable[[str], Awaitable[str]],
    write: Callable[[str], None],
) -> None:
    """The chat loop: read a line, print the replies, until 'quit' or end of input."""
    while True:
        try:
            line = await read("> ")
        except EOFError:
            write("")
            return
        if line.strip().lower() in QUIT_WORDS:
            return
        for block in await chat.handle(line):
            write(block)
            write("")
