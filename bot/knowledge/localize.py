"""An entry's text in one language: the English fields, or its `zh` block for Chinese.

Language tags are "en", "zh-Hans" and "zh-Hant". The knowledge base holds English and
Simplified Chinese; Traditional Chinese is generated from the Simplified text where a reply is
rendered (bot/i18n), so every function here treats "zh-Hant" as "zh-Hans".
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.models import Entry

LANGUAGES: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant")
DEFAULT_LANGUAGE = "en"


def content_language(lang: str) -> str:
    """The language the knowledge base is written in for `lang`: "en" or "zh-Hans"."""
    return "zh-Hans" if lang.startswith("zh") else "en"


@dataclass(frozen=True)
class EntryText:
    """The user-facing fields of an entry in one language."""

    title: str
    short: str
    answer: str
    red_flags: tuple[str, ...]
    what_to_do: tuple[str, ...]
    questions: tuple[str, ...]


def entry_text(entry: Entry, lang: str) -> EntryText:
    """The entry's fields in `lang`; the English ones when it has no translation (yet)."""
    zh = entry.zh if content_language(lang) == "zh-Hans" else None
    if zh is None:
        return EntryText(
            entry.title, entry.short, entry.answer, entry.red_flags, entry.what_to_do,
            entry.questions,
        )  # fmt: skip
    return EntryText(zh.title, zh.short, zh.answer, zh.red_flags, zh.what_to_do, zh.questions)
