"""What every translation must keep: its block, and the numbers, hotlines, links and e-mails
of the English, the same in every language."""

from __future__ import annotations

import re

from bot.knowledge.yaml_lines import FieldChecker

# A web address or e-mail, or a number of three or more digits (hotlines, years, amounts) or
# with a decimal point or percent sign (figures). Commas between digit groups are ignored, so
# "12,000" and "12000" are the same figure; two-digit counts ("18 to 40") are left to
# reviewers, as English may spell them out.
_TOKEN = re.compile(
    r"https?://[^\s,，。）)]+"
    r"|[A-Za-z0-9.+_-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<![A-Za-z0-9.-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.(?:com|org|gov|net|hk|tw|cn|sg|my|uk|au)(?![A-Za-z0-9-])(?:/[^\s,，。）)]*)?"
    r"|\d[\d,]*\.\d+%?|\d+%|\d{1,3}(?:,\d{3})+|\d{3,}",
    re.IGNORECASE,
)


def fixed_tokens(text: str) -> set[str]:
    """The numbers, links and e-mail addresses in a text, normalised for comparison."""
    tokens = set()
    for match in _TOKEN.finditer(text):
        token = match.group(0).rstrip(".").lower()
        if token[0].isdigit():
            token = token.replace(",", "")
        tokens.add(token)
    return tokens


def differences(english: str, translated: str) -> tuple[set[str], set[str]]:
    """(tokens only in the English, tokens only in the translation)."""
    ours, theirs = fixed_tokens(english), fixed_tokens(translated)
    return ours - theirs, theirs - ours


def describe_differences(english: str, translated: str) -> str | None:
    """One sentence naming the numbers and links that differ, or None when they match."""
    missing, extra = differences(english, translated)
    parts = []
    if missing:
        parts.append(f"lacks {', '.join(sorted(missing))} (in the English)")
    if extra:
        parts.append(f"has {', '.join(sorted(extra))} (not in the English)")
    if not parts:
        return None
    return "; ".join(parts) + ": numbers, hotlines and links must be the same in both"


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
