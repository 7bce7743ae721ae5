"""Help where the user lives: the region question, hotline views and region memory.

The region is asked once, with buttons, the first time it matters (a hotline, "I've been
scammed", a "what to do" list, a message check); the regions the message language points to
are offered first. It is stored per user, changed with /region and deleted by /forgetme.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

from bot.conversation.actions import encode
from bot.conversation.markup import Span, bold, italic, plain
from bot.conversation.replies import Button, Reply
from bot.i18n import N_, _, current_language
from bot.knowledge.localize import book_text, region_text
from bot.knowledge.regions import Region, RegionBook

log = logging.getLogger(__name__)

KIND_LABELS: dict[str, str] = {
    "report": N_("to report"),
    "advice": N_("for advice"),
    "hotline": N_("anti-fraud hotline"),
    "check": N_("to check a number or link"),
    "emergency": N_("emergency"),
    "abroad": N_("in trouble abroad"),
}
ASK = N_("📍 Where do you live? I'll show the hotlines for your region first.")
ASK_GUESSED = N_("📍 Where do you live? From your message I'd guess {names}, but you choose.")
CHOSEN = N_("Saved: {region}. Change it any time with /region.")
CHANGE_LABEL = N_("📍 Change region")
OTHERS_LABEL = N_("🌏 Other regions")
OTHERS_TITLE = N_("🌏 Hotlines in every region")
HELP_TITLE = N_("📞 Where to get help: {region}")
BLOCK_TITLE = N_("📞 Your region, {region}:")
CHECKED = N_("Checked {checked}.")
MONEY_FIRST = N_("If money has just left your account, call your bank now.")
FIRST_STEPS_LABEL = N_("✅ First steps")
FIRST_STEPS_ENTRY = "if-you-were-scammed"
BACK_LABEL = N_("⬅️ Back")
_MAX_REMEMBERED = 10_000  # language hints kept in memory (oldest dropped)

# Characters written only in simplified or only in traditional Chinese: enough to tell which
# script a short message uses. A message with neither is not guessed.
_SIMPLIFIED = set("这个们说么没还会时对来过给让银号码转账钱骗诈网络话费图书红发现实关")
_TRADITIONAL = set("這個們說麼沒還會時對來過給讓銀號碼轉賬錢騙詐網絡話費圖書紅發現實關")


class RegionStore(Protocol):
    """Where the user's region is kept (bot.storage.store.Store)."""

    async def get_region(self, user_id: int) -> str | None: ...

    async def set_region(self, user_id: int, region: str) -> None: ...


def guess_language(text: str) -> str | None:
    """en, zh-Hans or zh-Hant when the text clearly uses one; None when unclear."""
    chars = set(text)
    simplified, traditional = len(chars & _SIMPLIFIED), len(chars & _TRADITIONAL)
    if simplified != traditional:
        return "zh-Hans" if simplified > traditional else "zh-Hant"
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        return None
    letters = sum(c.isascii() and c.isalpha() for c in text)
    return "en" if letters >= 3 else None


class RegionMemory:
    """The user's stored region plus the language of their last message (in memory only)."""

    def __init__(self, store: RegionStore) -> None:
        self.store = store
        self.languages: OrderedDict[int, str] = OrderedDict()

    def heard(self, user_id: int, text: str) -> None:
        """Note the language of a message, for the next region question."""
        language = guess_language(text)
        if language is None:
            return
        self.languages[user_id] = language
        self.languages.move_to_end(user_id)
        while len(self.languages) > _MAX_REMEMBERED:
            self.languages.popitem(last=False)

    async def region_of(self, user_id: int) -> str | None:
        """The stored region id, or None (also when the storage fails)."""
        try:
            return await self.store.get_region(user_id)
        except Exception:  # storage trouble must not spoil the conversation
            log.exception("could not read the region of a user")
            return None

    async def choose(self, user_id: int, region_id: str) -> None:
        """Store the user's choice (a failure is logged; the reply still shows the region)."""
        try:
            await self.store.set_region(user_id, region_id)
        except Exception:
            log.exception("could not store the region of a user")

    def forget(self, user_id: int) -> None:
        """Drop the in-memory language hint (for /forgetme)."""
        self.languages.pop(user_id, None)


def region_name(region: Region) -> str:
    """The region's name in the current language."""
    return region_text(region, current_language()).name


def region_label(region: Region) -> str:
    """Flag and name, for buttons and headings."""
    return region_text(region, current_language()).label


def everywhere(book: RegionBook) -> tuple[str, ...]:
    """The lines shown for every region, in the current language."""
    return book_text(book, current_language()).everywhere


def hotline_line(book: RegionBook) -> str:
    """The entries' standard hotline line in the current language (replaced when shown)."""
    return " ".join(book_text(book, current_language()).hotline_line.split())


def region_lines(book: RegionBook, region: Region) -> list[Span]:
    """One bullet per line, with what it is for, then the lines for everyone."""
    spans: list[Span] = []
    for line in region_text(region, current_language()).lines:
        spans += [plain(f"\n• {line.text} "), italic(f"({_(KIND_LABELS[line.kind])})")]
    spans += [plain(f"\n• {text}") for text in everywhere(book)]
    return spans


def region_block(book: RegionBook, region: Region) -> list[Span]:
    """The region's lines inside a "what to do" list."""
    heading = bold(_(BLOCK_TITLE).format(region=region_label(region)))
    checked = italic(_(CHECKED).format(checked=book.checked))
    return [heading, *region_lines(book, region), plain("\n"), checked]


def ordered(book: RegionBook, language: str | None) -> list[Region]:
    """Regions with the guessed ones first, the rest in file order."""
    guessed = book.guessed(language)
    return guessed + [r for r in book.regions if r not in guessed]


def question_rows(
    book: RegionBook, language: str | None, entry_id: str = ""
) -> list[tuple[Button, ...]]:
    """Two region buttons per row; the choice comes back as rs:<region>[:<entry id>]."""
    buttons = [
        Button(region_label(r), encode("rs", r.id, entry_id)) for r in ordered(book, language)
    ]
    return [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]


def question_text(book: RegionBook, language: str | None) -> str:
    """The region question, naming the guess when the message language points somewhere."""
    guessed = [region_name(r) for r in book.guessed(language)]
    return _(ASK_GUESSED).format(names=_(" or ").join(guessed)) if guessed else _(ASK)


def question_reply(
    book: RegionBook, language: str | None, intro: Sequence[Span] = (), *, edit: bool = False
) -> Reply:
    """Ask where the user lives (after an optional intro, e.g. "call your bank now")."""
    spans = (*intro, plain(question_text(book, language)))
    return Reply(spans, tuple(question_rows(book, language)), edit=edit)


def hotline_reply(
    book: RegionBook, region: Region, note: str = "", *, edit: bool = False, saved: bool = False
) -> Reply:
    """The user's region's lines, the under-18 note, and Other regions one tap away."""
    spans: list[Span] = [
        bold(_(HELP_TITLE).format(region=region_label(region))),
        plain("\n\n" + _(MONEY_FIRST)),
    ]
    if note:
        spans += [plain("\n\n"), bold(_(note))]
    spans += [plain("\n"), *region_lines(book, region)]
    spans += [plain("\n\n"), italic(_(CHECKED).format(checked=book.checked))]
    if saved:
        spans.append(italic(" " + _(CHOSEN).format(region=region_name(region))))
    rows = (
        (Button(_(FIRST_STEPS_LABEL), encode("v", "do", FIRST_STEPS_ENTRY)),),
        (Button(_(OTHERS_LABEL), encode("rg", "all")), Button(_(CHANGE_LABEL), encode("rq"))),
    )
    return Reply(tuple(spans), rows, edit=edit)


def others_reply(book: RegionBook, back: str) -> Reply:
    """Every region's lines, one heading each, with Back to where the user came from."""
    spans: list[Span] = [bold(_(OTHERS_TITLE))]
    for region in book.regions:
        spans += [plain("\n\n"), bold(region_label(region))]
        lines = region_text(region, current_language()).lines
        spans += [plain(f"\n• {line.text}") for line in lines]
    spans += [plain("\n\n"), italic(_(CHECKED).format(checked=book.checked))]
    return Reply(tuple(spans), ((Button(_(BACK_LABEL), back),),), edit=True)
