"""Compose what the bot says about an entry: plain data that adapters render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.i18n import _, current_language
from bot.knowledge.localize import entry_text, source_text
from bot.knowledge.models import Entry, KnowledgeBase
from bot.knowledge.placeholders import fill


@dataclass(frozen=True)
class SourceRef:
    """A cited document, ready to show."""

    title: str
    publisher: str
    date: str
    url: str | None = None
    kind: str = "document"

    def label(self) -> str:
        """One line: title, publisher, date (a hotline list: when it was last checked)."""
        if self.kind == "checked":
            return self.short_label()
        return f"{self.title} — {self.publisher}, {self.date}"

    def short_label(self) -> str:
        """The shortest form, for the Sources line under an answer: publisher, date."""
        if self.kind == "checked":
            return _("{title} (checked {date})").format(title=self.title, date=self.date)
        return f"{self.publisher}, {self.date}"


@dataclass(frozen=True)
class Answer:
    """One entry's answer with everything an adapter shows."""

    entry_id: str
    title: str
    text: str
    red_flags: tuple[str, ...]
    what_to_do: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    related: tuple[tuple[str, str], ...]  # (entry id, title)


def compose(
    entry: Entry,
    kb: KnowledgeBase,
    values: Mapping[str, object] | None = None,
    lang: str | None = None,
) -> Answer:
    """The answer for an entry in `lang` (default: the reply being built, bot.i18n), with its
    shown sources and related entries resolved and its placeholders (e.g. `{retention_days}`)
    filled from `values` (the running bot's settings)."""
    values = values or {}
    lang = lang or current_language()
    sources = []
    for source in (kb.sources.get(sid) for sid in entry.sources):
        if source is not None and source.shown:
            names = source_text(source, lang)
            sources.append(
                SourceRef(names.title, names.publisher, source.date, source.url, source.kind)
            )
    related = tuple(
        (r.id, entry_text(r, lang).title)
        for r in (kb.get(rid) for rid in entry.related)
        if r is not None
    )
    text = entry_text(entry, lang)
    return Answer(
        entry_id=entry.id,
        title=text.title,
        text=fill(text.answer, values),
        red_flags=tuple(fill(flag, values) for flag in text.red_flags),
        what_to_do=tuple(fill(step, values) for step in text.what_to_do),
        sources=tuple(sources),
        related=related,
    )


def render_plain(answer: Answer, width: int = 0) -> str:
    """Plain-text rendering for terminals: title, answer, red flags, actions, sources."""
    parts = [answer.title, "", answer.text]
    if answer.red_flags:
        parts += ["", _("Red flags:"), *(f"  - {flag}" for flag in answer.red_flags)]
    if answer.what_to_do:
        parts += ["", _("What to do:"), *(f"  - {step}" for step in answer.what_to_do)]
    if answer.sources:
        parts += ["", _("Sources:"), *(f"  - {s.label()}" for s in answer.sources)]
    return "\n".join(parts)
