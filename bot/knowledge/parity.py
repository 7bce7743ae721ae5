"""What must be the same in every language of a text: numbers, hotlines, links, e-mails."""

from __future__ import annotations

import re

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
