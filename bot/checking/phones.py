"""Phone numbers in a message: country and type with `phonenumbers`, official lines from the
knowledge base (the numbers of entries tagged "hotline", described by their own sentence)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from bot.checking.result import PhoneInfo, Span
from bot.i18n import N_
from bot.knowledge.models import KnowledgeBase

HOTLINE_TAG = "hotline"
_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed line or mobile",
    PhoneNumberType.TOLL_FREE: "toll free",
    PhoneNumberType.PREMIUM_RATE: "premium rate",
    PhoneNumberType.VOIP: "internet (VoIP)",
    PhoneNumberType.SHARED_COST: "shared cost",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.UAN: "company (UAN)",
}
_CN_MOBILE = re.compile(r"(?<![\d+])1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_CALL_WORDS = re.compile(
    r"(?i)(call|dial|phone|ring|hotline|拨打|撥打|致电|致電|打|电话|電話|热线|熱線)"
)
# A short official number only counts with a call word this close before it ("call 110").
_SHORT_DIGITS = 3
_CALL_WINDOW = 16


@dataclass(frozen=True)
class Hotline:
    """An official number named in the knowledge base and the sentence that describes it."""

    number: str
    sentence: str
    entry_id: str


def hotlines(kb: KnowledgeBase) -> dict[str, Hotline]:
    """Official numbers: digit tags of entries tagged "hotline", keyed by their digits."""
    found: dict[str, Hotline] = {}
    for entry in kb.entries:
        if HOTLINE_TAG not in entry.tags:
            continue
        sentences = re.split(r"(?<=[.!?])\s+", entry.answer)
        for tag in entry.tags:
            if not tag.isdigit():
                continue
            said = next((s for s in sentences if re.search(rf"(?<!\d){tag}(?!\d)", s)), "")
            found.setdefault(tag, Hotline(tag, said.strip(), entry.id))
    return found


def _official(digits: str, lines: dict[str, Hotline]) -> str:
    for number, line in lines.items():
        if digits == number or (len(number) >= 5 and digits.endswith(number)):
            return f"{number} is an official line named by ScamWise: {line.sentence}"
    return ""


def _info(match_text: str, start: int, number: phonenumbers.PhoneNumber,
          lines: dict[str, Hotline]) -> PhoneInfo:  # fmt: skip
    region = phonenumbers.region_code_for_number(number) or ""
    kind = _KINDS.get(phonenumbers.number_type(number), "unknown")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    notes = []
    if not phonenumbers.is_valid_number(number):
        notes.append(N_("It is not a valid number for its country code."))
    official = _official(str(number.national_number), lines)
    span = Span(start, start + len(match_text), match_text)
    return PhoneInfo(span, e164, region, kind, official, tuple(notes))


def find_phones(text: str, lines: dict[str, Hotline]) -> list[PhoneInfo]:
    """International numbers, Chinese mobile numbers and the knowledge base's official lines."""
    found: list[PhoneInfo] = []
    taken: list[tuple[int, int]] = []
    matcher = phonenumbers.PhoneNumberMatcher(text, "ZZ", leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        found.append(_info(match.raw_string, match.start, match.number, lines))
        taken.append((match.start, match.end))
    for m in _CN_MOBILE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        number = phonenumbers.parse(m.group(0), "CN")
        found.append(_info(m.group(0), m.start(), number, lines))
        taken.append((m.start(), m.end()))
    for digits, line in lines.items():
        for m in re.finditer(rf"(?<![\d.,+-]){digits}(?![\d.,]?\d)", text):
            if any(a <= m.start() < b for a, b in taken):
                continue
            before = text[max(0, m.start() - _CALL_WINDOW) : m.start()]
            if len(digits) <= _SHORT_DIGITS and not _CALL_WORDS.search(before):
                continue
            official = f"{digits} is an official line named by ScamWise: {line.sentence}"
            span = Span(m.start(), m.end(), digits)
            found.append(PhoneInfo(span, "", "", "short code", official, ()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda p: p.span.start)
