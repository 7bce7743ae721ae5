"""What the conversation core answers with: plain data that each adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation.markup import Text, to_plain


@dataclass(frozen=True)
class Button:
    """An inline button: `action` is sent back when pressed; a `url` button opens a link."""

    label: str
    action: str = ""
    url: str | None = None
    fixed: bool = False  # a label shown as is in every language (e.g. "简体中文" on /language)


@dataclass(frozen=True)
class Image:
    """A PNG to send with a caption (QR codes, charts)."""

    png: bytes
    filename: str
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    """One message to show. `edit` asks to replace the message whose button was pressed."""

    text: Text
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: Image | None = None
    edit: bool = False

    def plain_text(self) -> str:
        """The text without styles."""
        return to_plain(self.text)

    def button_labels(self) -> list[str]:
        """Every button label, row by row."""
        return [b.label for row in self.buttons for b in row]


@dataclass(frozen=True)
class Outcome:
    """The result of a button press: an optional short notice plus messages."""

    replies: list[Reply] = field(default_factory=list)
    notice: str | None = None  # shown as a toast (Telegram answers the callback query with it)


@dataclass(frozen=True)
class Article:
    """An entry offered in inline mode."""

    entry_id: str
    title: str
    description: str
    text: Text


@dataclass(frozen=True)
class Who:
    """Who sent an event and where: enough to reply, store per-user state and rate-limit."""

    user_id: int
    chat_id: int
    group: bool = False
    first_name: str = ""
    language_code: str = ""  # Telegram's IETF tag of the user's app language (or --lang)


@dataclass(frozen=True)
class PollSpec:
    """One quiz poll for a group: question ≤ 300 chars, options ≤ 100, explanation ≤ 200."""

    question: str
    options: tuple[str, ...]
    correct_option: int
    explanation: str


@dataclass(frozen=True)
class QuizPlan:
    """A group quiz to post: its run id, an intro message, then one quiz poll per question."""

    run_id: int
    intro: Reply
    polls: tuple[PollSpec, ...]
    start: int = 0  # the step to post first: 0 for a new run, later for one carried on
