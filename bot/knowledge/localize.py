"""Knowledge texts in one language: the English fields, or their `zh` block for Chinese.

Language tags are "en", "zh-Hans" and "zh-Hant". The knowledge base holds English and
Simplified Chinese; Traditional Chinese is generated from the Simplified text where a reply is
rendered (bot/i18n), so every function here treats "zh-Hant" as "zh-Hans". Each accessor
returns a plain dataclass with the fields in that language, and falls back to the English when
an item has no translation (a folder whose languages.yaml names English only).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.models import Entry, Source
from bot.knowledge.regions import Region, RegionBook
from bot.quizzes.models import Quiz, QuizQuestion

LANGUAGES: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant")
DEFAULT_LANGUAGE = "en"


def content_language(lang: str) -> str:
    """The language the knowledge base is written in for `lang`: "en" or "zh-Hans"."""
    return "zh-Hans" if lang.startswith("zh") else "en"


def _chinese(lang: str) -> bool:
    return content_language(lang) == "zh-Hans"


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
    zh = entry.zh if _chinese(lang) else None
    if zh is None:
        return EntryText(
            entry.title, entry.short, entry.answer, entry.red_flags, entry.what_to_do,
            entry.questions,
        )  # fmt: skip
    return EntryText(zh.title, zh.short, zh.answer, zh.red_flags, zh.what_to_do, zh.questions)


@dataclass(frozen=True)
class QuizText:
    """A quiz's title and description in one language."""

    title: str
    description: str


def quiz_text(quiz: Quiz, lang: str) -> QuizText:
    """The quiz's title and description in `lang`."""
    zh = quiz.zh if _chinese(lang) else None
    if zh is None:
        return QuizText(quiz.title, quiz.description)
    return QuizText(zh.title, zh.description)


@dataclass(frozen=True)
class QuestionText:
    """A quiz question in one language; `options` keep the order, so `answer` still indexes
    them, and `correct` is the right option's text."""

    prompt: str
    options: tuple[str, ...]
    explanation: str
    correct: str


def question_text(question: QuizQuestion, lang: str) -> QuestionText:
    """The question's prompt, options and explanation in `lang`."""
    zh = question.zh if _chinese(lang) else None
    prompt, options, explanation = (
        (question.prompt, question.options, question.explanation)
        if zh is None
        else (zh.prompt, zh.options, zh.explanation)
    )
    return QuestionText(prompt, options, explanation, options[question.answer])


@dataclass(frozen=True)
class SourceText:
    """A source's display names in one language (its date, url and kind need none)."""

    title: str
    publisher: str


def source_text(source: Source, lang: str) -> SourceText:
    """The source's title and publisher in `lang`."""
    zh = source.zh if _chinese(lang) else None
    if zh is None:
        return SourceText(source.title, source.publisher)
    return SourceText(zh.title, zh.publisher)


@dataclass(frozen=True)
class LineText:
    """One help line in one language; `kind` (report, advice, ...) is a key, not a text."""

    kind: str
    text: str


@dataclass(frozen=True)
class RegionText:
    """A region's name, its button label (flag and name) and its lines in one language."""

    id: str
    name: str
    label: str
    lines: tuple[LineText, ...]


def region_text(region: Region, lang: str) -> RegionText:
    """The region's name and lines in `lang`."""
    chinese = _chinese(lang)
    name = (region.zh_name if chinese else None) or region.name
    lines = tuple(
        LineText(line.kind, (line.zh if chinese else None) or line.text) for line in region.lines
    )
    return RegionText(region.id, name, f"{region.flag} {name}", lines)


@dataclass(frozen=True)
class BookText:
    """The texts of regions.yaml shown for every region, in one language."""

    hotline_line: str
    everywhere: tuple[str, ...]


def book_text(book: RegionBook, lang: str) -> BookText:
    """The hotline line (what entries' what_to_do use) and the lines for everyone, in `lang`."""
    zh = book.zh if _chinese(lang) else None
    if zh is None:
        return BookText(book.hotline_line, book.everywhere)
    return BookText(zh.hotline_line, zh.everywhere)
