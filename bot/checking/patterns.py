"""The catalogue's regular expressions, compiled once: which flags a text triggers, and where."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.checking.normalise import simplified
from bot.checking.result import Span
from bot.knowledge.models import Flag


class PatternMatcher:
    """Every pattern of every language of every flag, matched case-insensitively."""

    def __init__(self, flags: Sequence[Flag]) -> None:
        self._compiled = [
            (
                flag.id,
                lang == "zh-Hans",
                re.compile(pattern, re.IGNORECASE | re.MULTILINE | re.DOTALL),
            )
            for flag in flags
            for lang, patterns in flag.patterns
            for pattern in patterns
        ]

    def find(self, text: str) -> dict[str, list[Span]]:
        """Flag id -> the spans its patterns matched (non-empty matches only), in text order.
        Simplified patterns read the text as Simplified (Traditional characters converted,
        same positions), so they find Traditional spellings too; Traditional and English
        patterns read it as written. Spans quote the original text."""
        found: dict[str, list[Span]] = {}
        plain = simplified(text)
        for flag_id, on_plain, regex in self._compiled:
            for match in regex.finditer(plain if on_plain else text):
                if match.end() > match.start():
                    spans = found.setdefault(flag_id, [])
                    start, end = match.start(), match.end()
                    span = Span(start, end, text[start:end])
                    if span not in spans:
                        spans.append(span)
        for spans in found.values():
            spans.sort(key=lambda s: s.start)
        return found
