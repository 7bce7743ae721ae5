"""The conversation side of the message checker: /check, forwarded, pasted and photographed
messages in, one reply with the verdict, the red flags and what to do out.

Privacy: the checked text, and the numbers, names and links in it, are never stored and never
logged; only the verdict and the flag ids are logged, as counts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.checking.detect import looks_like_message
from bot.checking.result import CheckResult, FlagHit, TypeMatch, Verdict
from bot.conversation import views
from bot.conversation.actions import encode
from bot.conversation.markup import Span, bold, italic, plain
from bot.conversation.replies import Article, Button, Reply, Who
from bot.i18n import N_, _, current_language
from bot.knowledge.localize import content_language, entry_text
from bot.knowledge.models import KnowledgeBase

log = logging.getLogger(__name__)

CheckFn = Callable[[str], Awaitable[CheckResult]]
REPORT_ENTRY = "report-hotlines"
LINK_ENTRY = "check-number-or-link"
MAX_QUOTE = 80  # characters of the message quoted next to each flag
MAX_OCR_QUOTE = 700
MAX_FLAGS_SHOWN = 8

HEADLINES = {
    Verdict.SCAM: N_("🚨 This looks like a scam."),
    Verdict.WARNING: N_("⚠️ Some warning signs."),
    Verdict.NONE: N_("🔎 No warning signs found. That does not mean it is safe."),
}
CHECK_HOW_TO = N_(
    "Paste the message after /check, reply /check to it, or forward it to me. "
    "You can also send me a screenshot."
)
NEVER_OPENED = N_(
    "I never open links or call numbers. To check one yourself, look the company up on your own "
    "(official app, website you type in, number on your card) and compare."
)
OCR_FAILED = N_("I could not read any text in that picture. Paste the message as text instead.")
OCR_INTRO = N_("I read this from your picture:")
CHECK_FAILED = N_("Sorry, I could not check that message just now. Please try again in a minute.")


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def flag_text(hit: FlagHit, kb: KnowledgeBase | None) -> tuple[str, str]:
    """(name, why) of a flag found, in the current language (English where zh is absent).

    The zh name and why come from the flag's `zh:` block in flags.yaml (Flag.zh_name/zh_why).
    """
    if kb is None or content_language(current_language()) == "en":
        return hit.name, hit.why
    flag = next((f for f in kb.flags if f.id == hit.id), None)
    if flag is None:
        return hit.name, hit.why
    return flag.zh_name or hit.name, flag.zh_why or hit.why


def match_text(match: TypeMatch, kb: KnowledgeBase | None) -> tuple[str, tuple[str, ...]]:
    """(title, what to do) of the entry a message resembles, in the current language."""
    entry = kb.get(match.entry_id) if kb is not None else None
    if entry is None:
        return match.title, match.what_to_do
    text = entry_text(entry, current_language())
    return text.title, text.what_to_do if match.what_to_do else ()


def check_spans(result: CheckResult, kb: KnowledgeBase | None = None) -> list[Span]:
    """The reply text: verdict, red flags with their spans, links / numbers / wallets, advice."""
    spans: list[Span] = [bold(_(HEADLINES[result.verdict]))]
    if result.flags:
        spans += [plain("\n\n"), bold(_("🚩 Red flags"))]
        for hit in result.flags[:MAX_FLAGS_SHOWN]:
            name, why = flag_text(hit, kb)
            spans += [plain("\n• "), bold(name), plain(f" — “{_quote(hit.spans[0].text)}”. ")]
            spans.append(plain(why))
    facts = _facts(result)
    if facts:
        spans += [plain("\n\n"), bold(_("🔗 Links, numbers and wallets")), plain(facts)]
    top = result.matches[0] if result.matches and result.verdict is not Verdict.NONE else None
    if top is not None:
        title, what_to_do = match_text(top, kb)
        spans += [plain("\n\n"), bold(_("It most resembles: ")), plain(title)]
        if what_to_do:
            spans += [plain("\n\n"), bold(_("✅ What to do now"))]
            spans.append(plain("".join(f"\n• {step}" for step in what_to_do)))
    if result.verdict is Verdict.NONE:
        spans += [plain("\n\n"), bold(_("What I could not check"))]
        spans.append(plain("".join(f"\n• {_(line)}" for line in result.unchecked)))
    spans += [plain("\n\n"), italic(_(NEVER_OPENED))]
    return spans


def _facts(result: CheckResult) -> str:
    lines: list[str] = []
    for link in result.links:
        said = _notes(link.notes) or _("Nothing odd in its form, but that does not make it safe.")
        lines.append(
            "\n• " + _("Link {link}: {said}").format(link=_quote(link.span.text, 60), said=said)
        )
    for phone in result.phones:
        where = f" ({phone.region}, {phone.kind})" if phone.region else ""
        said = phone.official or _notes(phone.notes) or _("Not an official line I know of.")
        number = f"{phone.span.text}{where}"
        lines.append("\n• " + _("Number {number}: {said}").format(number=number, said=said))
    for email in result.emails:
        said = _notes(email.notes) or _("Anyone can write from any address; check it separately.")
        address = _quote(email.span.text, 60)
        lines.append("\n• " + _("E-mail {address}: {said}").format(address=address, said=said))
    for wallet in result.wallets:
        checksum = {True: _("valid checksum"), False: _("bad checksum"), None: _("format only")}
        said = _("{chain} wallet {address} ({checksum}): crypto sent there cannot be taken back.")
        lines.append(
            "\n• "
            + said.format(
                chain=wallet.chain,
                address=_quote(wallet.span.text, 20),
                checksum=checksum[wallet.checksum_ok],
            )
        )
    return "".join(lines)


def _notes(notes: tuple[str, ...]) -> str:
    """The checker's notes, each translated where the catalogue has it (else as written)."""
    return " ".join(_(note) for note in notes)


def check_reply(result: CheckResult, kb: KnowledgeBase, intro: list[Span] | None = None) -> Reply:
    """The check as one reply with "Read more" on the closest entry and the hotlines."""
    rows: list[tuple[Button, ...]] = []
    top = result.matches[0] if result.matches and result.verdict is not Verdict.NONE else None
    if top is not None and kb.get(top.entry_id) is not None:
        title = _quote(match_text(top, kb)[0], 40)
        label = _("📖 Read more: {title}").format(title=title)
        rows.append((Button(label, encode("e", top.entry_id)),))
    if any(link.risky for link in result.links) and kb.get(LINK_ENTRY) is not None:
        rows.append((Button(_("🔗 How to check a link or number"), encode("e", LINK_ENTRY)),))
    rows.append((Button(_("🆘 Where to report and hotlines"), encode("report")),))
    return Reply(tuple([*(intro or []), *check_spans(result, kb)]), tuple(rows))


class CheckFlow:
    """Runs checks for the conversation; never stores or logs the checked text."""

    def __init__(
        self, check: CheckFn, kb: KnowledgeBase, count_flags: Callable[[str], int] | None = None
    ) -> None:
        self.check = check
        self.kb = kb
        self.count_flags = count_flags  # red flags the patterns find (no model), for detection

    def wants_check(self, who: Who, text: str) -> bool:
        """In private chat, text that reads like a pasted message is checked, not answered."""
        if who.group:
            return False
        flags = self.count_flags(text) if self.count_flags is not None else 0
        return looks_like_message(text, flags)

    async def reply(
        self, who: Who, text: str, *, source: str, read_from_image: bool = False
    ) -> list[Reply]:
        """Check a message and reply (`source`: command, reply, forward, paste or photo)."""
        if not text.strip():
            return [views.text_reply(_(OCR_FAILED) if read_from_image else _(CHECK_HOW_TO))]
        try:
            result = await self.check(text)
        except Exception:  # the model failing must not show a traceback
            log.exception("message check failed (source=%s)", source)
            return [views.text_reply(_(CHECK_FAILED))]
        log.info(
            "check source=%s verdict=%s flags=%s",
            source,
            result.verdict.value,
            ",".join(result.flag_ids()) or "-",
        )
        intro: list[Span] = []
        if read_from_image:
            intro = [italic(_(OCR_INTRO)), plain(f"\n“{_quote(result.text, MAX_OCR_QUOTE)}”\n\n")]
        return [check_reply(result, self.kb, intro)]

    async def article(self, text: str) -> Article | None:
        """The verdict as an inline-mode article (`@bot check <text>`)."""
        if not text.strip():
            return None
        result = await self.check(text)
        names = _(", ").join(flag_text(hit, self.kb)[0] for hit in result.flags[:3])
        spans = tuple(check_spans(result, self.kb))
        return Article(
            "check", _(HEADLINES[result.verdict]), names or _("no red flags found"), spans
        )
