"""The conversation side of the message checker: /check, forwarded, pasted and photographed
messages in, one reply with the verdict, the red flags and what to do out.

Privacy: the checked text, and the numbers, names and links in it, are never stored and never
logged; only the verdict and the flag ids are logged, as counts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.checking.detect import looks_like_message
from bot.checking.result import CheckResult, Verdict
from bot.conversation import views
from bot.conversation.actions import encode
from bot.conversation.markup import Span, bold, italic, plain
from bot.conversation.replies import Article, Button, Reply, Who
from bot.knowledge.models import KnowledgeBase

log = logging.getLogger(__name__)

CheckFn = Callable[[str], Awaitable[CheckResult]]
REPORT_ENTRY = "report-hotlines"
LINK_ENTRY = "check-number-or-link"
MAX_QUOTE = 80  # characters of the message quoted next to each flag
MAX_OCR_QUOTE = 700
MAX_FLAGS_SHOWN = 8

HEADLINES = {
    Verdict.SCAM: "🚨 This looks like a scam.",
    Verdict.WARNING: "⚠️ Some warning signs.",
    Verdict.NONE: "🔎 No warning signs found. That does not mean it is safe.",
}
CHECK_HOW_TO = (
    "Paste the message after /check, reply /check to it, or forward it to me. "
    "You can also send me a screenshot."
)
NEVER_OPENED = (
    "I never open links or call numbers. To check one yourself, look the company up on your own "
    "(official app, website you type in, number on your card) and compare."
)
OCR_FAILED = "I could not read any text in that picture. Paste the message as text instead."
OCR_INTRO = "I read this from your picture:"
CHECK_FAILED = "Sorry, I could not check that message just now. Please try again in a minute."


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def check_spans(result: CheckResult) -> list[Span]:
    """The reply text: verdict, red flags with their spans, links / numbers / wallets, advice."""
    spans: list[Span] = [bold(HEADLINES[result.verdict])]
    if result.flags:
        spans += [plain("\n\n"), bold("🚩 Red flags")]
        for hit in result.flags[:MAX_FLAGS_SHOWN]:
            spans += [plain("\n• "), bold(hit.name), plain(f" — “{_quote(hit.spans[0].text)}”. ")]
            spans.append(plain(hit.why))
    facts = _facts(result)
    if facts:
        spans += [plain("\n\n"), bold("🔗 Links, numbers and wallets"), plain(facts)]
    top = result.matches[0] if result.matches and result.verdict is not Verdict.NONE else None
    if top is not None:
        spans += [plain("\n\n"), bold("It most resembles: "), plain(top.title)]
        if top.what_to_do:
            spans += [plain("\n\n"), bold("✅ What to do now")]
            spans.append(plain("".join(f"\n• {step}" for step in top.what_to_do)))
    if result.verdict is Verdict.NONE:
        spans += [plain("\n\n"), bold("What I could not check")]
        spans.append(plain("".join(f"\n• {line}" for line in result.unchecked)))
    spans += [plain("\n\n"), italic(NEVER_OPENED)]
    return spans


def _facts(result: CheckResult) -> str:
    lines: list[str] = []
    for link in result.links:
        said = " ".join(link.notes) or "Nothing odd in its form, but that does not make it safe."
        lines.append(f"\n• Link {_quote(link.span.text, 60)}: {said}")
    for phone in result.phones:
        where = f" ({phone.region}, {phone.kind})" if phone.region else ""
        said = phone.official or " ".join(phone.notes) or "Not an official line I know of."
        lines.append(f"\n• Number {phone.span.text}{where}: {said}")
    for email in result.emails:
        said = " ".join(email.notes) or "Anyone can write from any address; check it separately."
        lines.append(f"\n• E-mail {_quote(email.span.text, 60)}: {said}")
    for wallet in result.wallets:
        checksum = {True: "valid checksum", False: "bad checksum", None: "format only"}
        lines.append(
            f"\n• {wallet.chain} wallet {_quote(wallet.span.text, 20)} "
            f"({checksum[wallet.checksum_ok]}): crypto sent there cannot be taken back."
        )
    return "".join(lines)


def check_reply(result: CheckResult, kb: KnowledgeBase, intro: list[Span] | None = None) -> Reply:
    """The check as one reply with "Read more" on the closest entry and the hotlines."""
    rows: list[tuple[Button, ...]] = []
    top = result.matches[0] if result.matches and result.verdict is not Verdict.NONE else None
    if top is not None and kb.get(top.entry_id) is not None:
        rows.append((Button(f"📖 Read more: {_quote(top.title, 40)}", encode("e", top.entry_id)),))
    if any(link.risky for link in result.links) and kb.get(LINK_ENTRY) is not None:
        rows.append((Button("🔗 How to check a link or number", encode("e", LINK_ENTRY)),))
    rows.append((Button("🆘 Where to report and hotlines", encode("report")),))
    return Reply(tuple([*(intro or []), *check_spans(result)]), tuple(rows))


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
            return [views.text_reply(OCR_FAILED if read_from_image else CHECK_HOW_TO)]
        try:
            result = await self.check(text)
        except Exception:  # the model failing must not show a traceback
            log.exception("message check failed (source=%s)", source)
            return [views.text_reply(CHECK_FAILED)]
        log.info(
            "check source=%s verdict=%s flags=%s",
            source,
            result.verdict.value,
            ",".join(result.flag_ids()) or "-",
        )
        intro: list[Span] = []
        if read_from_image:
            intro = [italic(OCR_INTRO), plain(f"\n“{_quote(result.text, MAX_OCR_QUOTE)}”\n\n")]
        return [check_reply(result, self.kb, intro)]

    async def article(self, text: str) -> Article | None:
        """The verdict as an inline-mode article (`@bot check <text>`)."""
        if not text.strip():
            return None
        result = await self.check(text)
        names = ", ".join(hit.name for hit in result.flags[:3]) or "no red flags found"
        return Article("check", HEADLINES[result.verdict], names, tuple(check_spans(result)))
