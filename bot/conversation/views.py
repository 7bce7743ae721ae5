"""Build replies (text spans and buttons) from knowledge entries. No I/O, no state."""

from __future__ import annotations

from bot.answers import Answer
from bot.conversation import texts
from bot.conversation.actions import encode
from bot.conversation.markup import Span, bold, italic, link, plain
from bot.conversation.replies import Button, Reply
from bot.i18n import _, current_language
from bot.knowledge.localize import entry_text
from bot.knowledge.models import TOPICS, KnowledgeBase

DEFAULT_SUGGESTED = ("jobs", "crypto", "ai")


def _bullets(heading: str, items: tuple[str, ...]) -> list[Span]:
    if not items:
        return []
    return [plain("\n\n"), bold(heading), plain("".join(f"\n• {item}" for item in items))]


def _sources(answer: Answer) -> list[Span]:
    if not answer.sources:
        return []
    spans: list[Span] = [plain("\n\n"), italic(_("Sources: "))]
    for i, source in enumerate(answer.sources):
        label = source.short_label()
        spans.append(italic("; " if i else ""))
        spans.append(link(label, source.url) if source.url else italic(label))
    return [s for s in spans if s.text]


def answer_text(answer: Answer) -> tuple[Span, ...]:
    """Bold title, the answer, 🚩 red flags, ✅ what to do, and the sources."""
    return (
        bold(answer.title),
        plain("\n\n" + answer.text),
        *_bullets(_("🚩 Red flags"), answer.red_flags),
        *_bullets(_("✅ What to do"), answer.what_to_do),
        *_sources(answer),
    )


def answer_reply(
    answer: Answer, *, feedback: bool = True, back_topic: str | None = None, edit: bool = False
) -> Reply:
    """An answer with up to two related entries, 👍/👎 feedback and an optional Back button."""
    rows: list[tuple[Button, ...]] = [
        (Button(f"➡️ {title}", encode("e", entry_id)),) for entry_id, title in answer.related[:2]
    ]
    if feedback:
        rows.append(
            (
                Button(_("👍 Helpful"), encode("fb", "u", answer.entry_id)),
                Button(_("👎 Not helpful"), encode("fb", "d", answer.entry_id)),
            )
        )
    if back_topic:
        rows.append((Button(_("⬅️ Back"), encode("t", back_topic)),))
    return Reply(answer_text(answer), tuple(rows), edit=edit)


def welcome_reply(*, quiz: bool = False) -> Reply:
    """The /start message with what to try (and a quiz, when there are quizzes)."""
    rows: tuple[tuple[Button, ...], ...] = (
        (Button(_("📚 Browse topics"), encode("menu")),),
        (Button(_("💡 Give me a tip"), encode("tip")),),
        (Button(_("🆘 I think I've been scammed"), encode("report")),),
    )
    if quiz:
        rows += ((Button(_(texts.QUIZ_BUTTON), encode("quiz")),),)
    return Reply((plain(_(texts.WELCOME)),), rows)


def help_reply() -> Reply:
    """The /help message listing commands."""
    spans: list[Span] = [bold(_(texts.HELP_TITLE)), plain("\n")]
    for command, what in texts.HELP_LINES:
        spans += [plain("\n"), bold(command), plain(" — " + _(what))]
    spans.append(plain("\n\n" + _(texts.HELP_FOOTER)))
    return Reply(tuple(spans))


def topics_reply(kb: KnowledgeBase, *, edit: bool = False) -> Reply:
    """The topic browser's first level: one button per topic that has entries."""
    rows = tuple(
        (Button(_(texts.TOPIC_LABELS[topic]), encode("t", topic)),)
        for topic in TOPICS
        if kb.by_topic(topic)
    )
    return Reply((bold(_(texts.TOPICS_TITLE)),), rows, edit=edit)


def topic_reply(kb: KnowledgeBase, topic: str) -> Reply:
    """The entries of one topic, with Back to the topic list."""
    lang = current_language()
    rows = [(Button(entry_text(e, lang).title, encode("b", e.id)),) for e in kb.by_topic(topic)]
    rows.append((Button(_("⬅️ Back"), encode("tl")),))
    return Reply((bold(_(texts.TOPIC_LABELS[topic])),), tuple(rows), edit=True)


def declined_reply(suggested: list[str]) -> Reply:
    """A kind decline, three suggested topics and the /report pointer."""
    rows = tuple((Button(_(texts.TOPIC_LABELS[t]), encode("t", t)),) for t in suggested[:3])
    return Reply((plain(_(texts.DECLINED)),), rows)


def suggest_topics(topics: list[str]) -> list[str]:
    """Three distinct scam topics: those of the nearest entries first, then defaults."""
    chosen: list[str] = []
    for topic in [*topics, *DEFAULT_SUGGESTED]:
        if topic not in chosen and topic in texts.TOPIC_LABELS and topic not in {"about"}:
            chosen.append(topic)
    return chosen[:3]


def did_you_mean_reply(choices: list[tuple[str, str]]) -> Reply:
    """Two close candidates as buttons."""
    rows = tuple((Button(title, encode("e", entry_id)),) for entry_id, title in choices)
    return Reply((plain(_(texts.DID_YOU_MEAN)),), rows)


def tip_reply(flag: str, entry_id: str, title: str) -> Reply:
    """One red flag with a link to its entry and another tip."""
    source = _("From: {title}").format(title=title)
    spans = (bold(_(texts.TIP_TITLE)), plain(f"\n\n{flag}\n\n"), italic(source))
    rows = (
        (Button(_("📖 Read more"), encode("e", entry_id)),),
        (Button(_("💡 Another tip"), encode("tip")),),
    )
    return Reply(spans, rows)


def text_reply(text: str, *, edit: bool = False) -> Reply:
    """A plain message with no buttons."""
    return Reply((plain(text),), edit=edit)


def language_reply(languages: tuple[tuple[str, str], ...], *, edit: bool = False) -> Reply:
    """/language: one button per language, each named in itself (the same in every language)."""
    rows = tuple((Button(name, encode("lang", tag), fixed=True),) for tag, name in languages)
    return Reply((plain(_(texts.LANGUAGE_ASK)),), rows, edit=edit)


def forget_confirm_reply() -> Reply:
    """The /forgetme question with its confirm button."""
    yes, no = (
        Button(_("🗑 Yes, delete"), encode("fg", "yes")),
        Button(_("Cancel"), encode("fg", "no")),
    )
    rows = ((yes, no),)
    return Reply((plain(_(texts.FORGET_CONFIRM)),), rows)
