"""What every translation must keep: its `zh` block, and the numbers, hotlines, links and
e-mails of the English (the checkers at the end report them at a field's file and line).

The rule: every number written in digits in the English must be in the translation, with the
same value, and every number the translation writes in digits must be in the English, in
digits or spelled out in words ("five years" may become 5年; a month name may become 12月).
Amounts compare by value, so "4.3 million" and 430万, "HK$1.3 billion" and 13亿港元, "5,000"
and 5000 are the same figure; currency signs are not compared. Hotlines and other numbers with
dashes or a leading zero ("+86-10-12308", "0300") compare as written, and percentages stay
percentages (62.1% is not 62.1). Links, domains and e-mail addresses compare as written,
ignoring letter case.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.knowledge.yaml_lines import FieldChecker

# English scale words after a number in digits ("4.3 million", "HK$1.3bn").
_ENGLISH_SCALES = {
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
}
# Chinese units after a number in digits (430万, 6.518亿, 3千元, 1千万). 百万 is not one: 8.7百万
# is not how Chinese writes an amount, so it is read as 8.7 and reported.
_CHINESE_SCALES = {
    "千": Decimal(10) ** 3,
    "万": Decimal(10) ** 4,
    "千万": Decimal(10) ** 7,
    "亿": Decimal(10) ** 8,
    "万亿": Decimal(10) ** 12,
}

_LINK = (
    r"https?://[^\s,，。）)]+"
    r"|[A-Za-z0-9.+_-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<![A-Za-z0-9.-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.(?:com|org|gov|net|hk|tw|cn|sg|my|uk|au)(?![A-Za-z0-9-])(?:/[^\s,，。）)]*)?"
)
# A phone number written with a plus or in three or more dash-separated groups, kept as written.
_PHONE = r"\+\d+(?:-\d+)+|\+\d{2,}|\d+(?:-\d+){2,}"
# A number in digits: digit groups with commas, an optional decimal part, then a percent sign
# or a scale (English words, or Chinese units right after the digits).
_NUMBER = (
    r"(?<![\d.,])(?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<decimals>\.\d+)?(?![\d])"
    r"(?:\s*(?P<percent>%)"
    r"|\s?(?P<scale>thousand|million|billion|bn)\b"
    r"|(?P<unit>万亿|千万|万|亿|千))?"
)
_TOKEN = re.compile(
    rf"(?P<link>{_LINK})|(?P<phone>{_PHONE})|{_NUMBER}",
    re.IGNORECASE,
)

# fmt: off
_UNIT_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)
_TEN_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_MONTH_WORDS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)
# fmt: on
_UNITS = {word: value for value, word in enumerate(_UNIT_WORDS)}
_TENS = {word: 10 * (i + 2) for i, word in enumerate(_TEN_WORDS)}
_MONTHS = {word: i + 1 for i, word in enumerate(_MONTH_WORDS)}
_MONTHS.update({name[:3]: number for name, number in _MONTHS.items()})
_MONTHS["sept"] = 9
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATED_MONTH = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+({_MONTH_NAME})\b\.?|\b({_MONTH_NAME})\b\.?\s+\d",
    re.IGNORECASE,
)
_WORD_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
# Words, and the punctuation that ends a spelled number (a hyphen does not: "twenty-one").
_WORD = re.compile(r"[a-z]+|[^a-z\s-]")


def _canonical(value: Decimal) -> str:
    """A value as a plain decimal string: 4300000, 62.1, 0.5."""
    text = format(value.normalize(), "f")
    return text


def _number_token(match: re.Match[str]) -> str:
    """The comparable form of one number: its value, with a % for percentages."""
    digits, decimals = match.group("digits"), match.group("decimals") or ""
    plain = digits.replace(",", "")
    if plain.startswith("0") and len(plain) > 1 and not decimals:
        return plain  # "0300": the leading zero is part of the number
    value = Decimal(plain + decimals)
    if match.group("percent"):
        return _canonical(value) + "%"
    scale = match.group("scale") or match.group("unit")
    if scale:
        value *= _ENGLISH_SCALES.get(scale.lower()) or _CHINESE_SCALES[scale]
    return _canonical(value)


def _tokens(text: str) -> dict[str, str]:
    """Each normalised token of a text, with the text it was read from (the first time)."""
    found: dict[str, str] = {}
    for match in _TOKEN.finditer(text):
        written = match.group(0).strip()
        if match.group("link") is not None:
            written = written.rstrip(".")
            token = written.lower()
        elif match.group("phone") is not None:
            token = written
        else:
            token = _number_token(match)
        found.setdefault(token, written)
    return found


def fixed_tokens(text: str) -> set[str]:
    """The numbers in digits, links and e-mail addresses in a text, normalised for comparison.

    Numbers become their value ("4.3 million" and 430万 are both "4300000", "12,000" is
    "12000", "62.1%" stays "62.1%"); links and e-mails are lower-cased.
    """
    return set(_tokens(text))


def spelled_numbers(text: str) -> set[str]:
    """The numbers an English text spells out in words ("five-year", "twenty one", "a hundred",
    "three million", and a month named next to a day or year), as values, so that a
    translation may write them in digits ("five years" as 5年, "1 December 2024" as 12月1日)."""
    values = {str(_MONTHS[name.lower()]) for name in _dated_months(text)}
    total, current, reading = 0, 0, False
    for word in _WORD.findall(text.lower()):
        if word in _UNITS or word in _TENS:
            current += _UNITS.get(word, 0) + _TENS.get(word, 0)
            reading = True
        elif word == "hundred":
            current, reading = (current or 1) * 100, True
        elif word in _WORD_SCALES:
            total += (current or 1) * _WORD_SCALES[word]
            current, reading = 0, True
        elif word == "and" and reading:
            continue
        else:
            if reading:
                values.add(str(total + current))
            total, current, reading = 0, 0, False
    if reading:
        values.add(str(total + current))
    return values


def _dated_months(text: str) -> list[str]:
    """Month names written next to a day or a year ("1 December 2024", "May 2021")."""
    return [a or b for a, b in _DATED_MONTH.findall(text)]


def differences(english: str, translated: str) -> tuple[set[str], set[str]]:
    """(tokens only in the English, tokens only in the translation).

    A number the translation writes in digits is not "only in the translation" when the
    English spells it out in words; a number the English writes in digits must be in digits.
    """
    ours, theirs = fixed_tokens(english), fixed_tokens(translated)
    return ours - theirs, theirs - ours - spelled_numbers(english)


def describe_differences(english: str, translated: str) -> str | None:
    """One sentence naming the numbers and links that differ, or None when they match."""
    missing, extra = differences(english, translated)
    if not missing and not extra:
        return None
    ours, theirs = _tokens(english), _tokens(translated)

    def shown(tokens: set[str], written: dict[str, str]) -> str:
        items = []
        for token in sorted(tokens):
            text = written.get(token, token)
            items.append(text if text.replace(",", "") == token else f"{text} (= {token})")
        return ", ".join(items)

    parts = []
    if missing:
        parts.append(f"lacks {shown(missing, ours)} (in the English)")
    if extra:
        parts.append(f"has {shown(extra, theirs)} (not in the English)")
    return "; ".join(parts) + ": numbers in digits, hotlines and links must be the same in both"


def report_differences(
    zh: FieldChecker, field: str, english: object, translated: object, line: int | None = None
) -> None:
    """Report `field` of a zh block when its numbers or links differ from the English text."""
    if isinstance(english, str) and isinstance(translated, str):
        problem = describe_differences(english, translated)
        if problem:
            zh.report(field, problem, line)


def report_list_differences(
    english: FieldChecker, key: str, zh: FieldChecker, zh_key: str
) -> None:
    """A zh list matches the English one item for item: same count, same numbers and links."""
    ours, theirs = english.mapping.get(key), zh.mapping.get(zh_key)
    if not (isinstance(ours, list) and isinstance(theirs, list)):
        return
    if len(ours) != len(theirs):
        zh.report(zh_key, f"has {len(theirs)} item(s); the English {key} has {len(ours)}")
        return
    for (i, ours_item, _), (_, theirs_item, line) in zip(
        english.indexed(key), zh.indexed(zh_key), strict=False
    ):
        report_differences(zh, f"{zh_key}[{i}]", ours_item, theirs_item, line)


def translation_block(
    checker: FieldChecker, keys: tuple[str, ...], *, required: bool
) -> FieldChecker | None:
    """The checker of a mapping's `zh` block (unknown keys reported), or None when absent;
    a missing block is a problem at the mapping's line when the folder requires Chinese."""
    if required and not checker.has("zh"):
        fields = ", ".join(keys)
        message = f"missing the Chinese translation: add zh: {{{fields}}} (knowledge/README.md)"
        checker.report("zh", message, checker.mapping.line)
        return None
    zh = checker.sub("zh")
    if zh is not None:
        zh.check_keys(keys)
    return zh
