"""An entry as a phone-sized reply: title and short answer first, each section one tap away.

The first reply shows the title, the short answer and buttons (🚩 Red flags, ✅ What to do,
📖 Full answer, 📚 Sources, Related). Each button edits the message in place to one section,
with ⬅️ Back to the short view, so no view is longer than one screen. Groups and inline mode
get the short answer with a deep link to the rest in a private chat. No I/O, no state.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.answers import Answer
from bot.conversation.actions import encode
from bot.conversation.markup import Span, bold, italic, link, plain
from bot.conversation.replies import Button, Reply
from bot.i18n import N_, _
from bot.i18n.speaker import link_payload

SHORT, RED_FLAGS, WHAT_TO_DO, FULL, SOURCES, RELATED, OTHER_REGIONS = (
    "s", "rf", "do", "full", "src", "rel", "oth",
)  # fmt: skip
SECTIONS = frozenset({SHORT, RED_FLAGS, WHAT_TO_DO, FULL, SOURCES, RELATED, OTHER_REGIONS})
RED_FLAGS_LABEL = N_("🚩 Red flags")
WHAT_TO_DO_LABEL = N_("✅ What to do")
FULL_LABEL = N_("📖 Full answer")
SOURCES_LABEL = N_("📚 Sources")
RELATED_LABEL = N_("🔗 Related")
BACK_LABEL = N_("⬅️ Back")
READ_MORE_LABEL = N_("📖 Read more (private chat)")
READ_MORE = N_("Red flags, what to do and sources: ")
RELATED_TITLE = N_("🔗 Related answers")

# Said plainly and early on every "I've been scammed" and sextortion path (issue 13): the
# entries' own answers are written for everyone, this is the conversation's word to under-18s.
UNDER_18 = N_(
    "Under 18? Tell a parent or another adult you trust, today. You are not in trouble: the "
    "scammer is the one breaking the law, and an adult can call the bank and the police with "
    "you, which stops the damage faster."
)
UNDER_18_SEXTORTION = N_(
    "Under 18? Tell a parent or another adult you trust, today. It is safe to tell: you are "
    "the victim, not the one in trouble, and adults have seen this before. They can help you "
    "report it and get images taken down, and scammers lose their power once someone knows."
)
UNDER_18_NOTES: dict[str, str] = {
    "if-you-were-scammed": UNDER_18,
    "report-hotlines": UNDER_18,
    "crypto-recovery-scam": UNDER_18,
    "video-chat-blackmail": UNDER_18_SEXTORTION,
    "deepfake-nude-blackmail": UNDER_18_SEXTORTION,
}


def deep_link(bot_username: str, entry_id: str) -> str:
    """The t.me link that opens this entry in a private chat with the bot."""
    return f"https://t.me/{bot_username}?start={link_payload(f'topic-{entry_id}')}"


def _note(entry_id: str) -> list[Span]:
    note = UNDER_18_NOTES.get(entry_id)
    return [plain("\n\n"), bold(_(note))] if note else []


def short_text(answer: Answer, short: str) -> tuple[Span, ...]:
    """Bold title, the short answer, and the under-18 note where it applies."""
    return (bold(answer.title), plain("\n\n" + (short or answer.text)), *_note(answer.entry_id))


def view(entry_id: str, section: str) -> str:
    """The action that opens one section of an entry."""
    return encode("v", section, entry_id)


def short_reply(
    answer: Answer,
    short: str,
    *,
    feedback: bool = True,
    back: str | None = None,
    edit: bool = False,
) -> Reply:
    """The first reply: title, short answer, a button per section, feedback, optional Back."""
    eid = answer.entry_id
    first = [Button(_(WHAT_TO_DO_LABEL), view(eid, WHAT_TO_DO))]
    if answer.red_flags:
        first.insert(0, Button(_(RED_FLAGS_LABEL), view(eid, RED_FLAGS)))
    second = [Button(_(FULL_LABEL), view(eid, FULL))]
    if answer.sources:
        second.append(Button(_(SOURCES_LABEL), view(eid, SOURCES)))
    rows: list[tuple[Button, ...]] = [tuple(first), tuple(second)]
    if answer.related:
        rows.append((Button(_(RELATED_LABEL), view(eid, RELATED)),))
    if feedback:
        rows.append(
            (
                Button(_("👍 Helpful"), encode("fb", "u", eid)),
                Button(_("👎 Not helpful"), encode("fb", "d", eid)),
            )
        )
    if back:
        rows.append((Button(_(BACK_LABEL), back),))
    return Reply(short_text(answer, short), tuple(rows), edit=edit)


def _bullets(items: Sequence[str]) -> Span:
    return plain("".join(f"\n• {item}" for item in items))


def _section(
    answer: Answer, heading: str, body: Sequence[Span], rows: Sequence[tuple[Button, ...]]
) -> Reply:
    spans = (bold(answer.title), plain("\n\n"), bold(heading), *body)
    back = (Button(_(BACK_LABEL), view(answer.entry_id, SHORT)),)
    return Reply(spans, (*rows, back), edit=True)


def red_flags_reply(answer: Answer) -> Reply:
    """🚩 The entry's red flags."""
    return _section(answer, _(RED_FLAGS_LABEL), [_bullets(answer.red_flags)], [])


def full_reply(answer: Answer) -> Reply:
    """📖 The full answer."""
    return _section(answer, _(FULL_LABEL), [plain("\n" + answer.text)], [])


def sources_reply(answer: Answer) -> Reply:
    """📚 The sources, linked where they have an address."""
    spans: list[Span] = []
    for source in answer.sources:
        label = source.label()
        spans += [plain("\n• "), link(label, source.url) if source.url else italic(label)]
    return _section(answer, _(SOURCES_LABEL), spans, [])


def related_reply(answer: Answer) -> Reply:
    """🔗 Related entries as buttons that open in place."""
    rows = [(Button(f"➡️ {title}", view(rid, SHORT)),) for rid, title in answer.related]
    return _section(answer, _(RELATED_TITLE), [], rows)


def what_to_do_reply(
    answer: Answer,
    hotline_line: str | None,
    region_spans: Sequence[Span],
    region_rows: Sequence[tuple[Button, ...]],
) -> Reply:
    """✅ What to do; the standard hotline line becomes the user's region block (when given)."""
    steps = [step for step in answer.what_to_do if " ".join(step.split()) != hotline_line]
    has_hotline = hotline_line is not None and len(steps) < len(answer.what_to_do)
    body: list[Span] = [_bullets(steps)]
    rows: list[tuple[Button, ...]] = []
    if has_hotline:
        body += [plain("\n\n"), *region_spans]
        rows = list(region_rows)
    return _section(answer, _(WHAT_TO_DO_LABEL), body, rows)


def group_reply(answer: Answer, short: str, bot_username: str) -> Reply:
    """In a group: the short answer and a link to the rest in a private chat (no edits there)."""
    url = deep_link(bot_username, answer.entry_id)
    return Reply(short_text(answer, short), ((Button(_(READ_MORE_LABEL), url=url),),))


def inline_text(answer: Answer, short: str, bot_username: str) -> tuple[Span, ...]:
    """The message an inline result posts: the short answer and a deep link to the rest."""
    url = deep_link(bot_username, answer.entry_id)
    return (*short_text(answer, short), plain("\n\n"), italic(_(READ_MORE)), link(url, url))
