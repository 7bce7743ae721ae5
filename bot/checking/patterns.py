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
            (flag.id, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
            for flag in flags
            for _, patterns in flag.patterns
            for pattern in patterns
        ]

    def find(self, text: str) -> dict[str, list[Span]]:
        """Flag id -> the spans its patterns matched (non-empty matches only), in text order.
        Traditional Chinese is also read as Simplified (same positions), so a Simplified
        pattern finds its Traditional spelling too; spans quote the original text."""
        found: dict[str, list[Span]] = {}
        plain = simplified(text)
        views = (text,) if plain == text else (text, plain)
        for flag_id, regex in self._compiled:
            for view in views:
                for match in regex.finditer(view):
                    if match.end() > match.start():
                        spans = found.setdefault(flag_id, [])
                        start, end = match.start(), match.end()
                        span = Span(start, end, text[start:end])
                        if span not in spans:
                            spans.append(span)
        for spans in found.values():
            spans.sort(key=lambda s: s.start)
        return found
