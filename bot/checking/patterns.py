"""The catalogue's regular expressions, compiled once: which flags a text triggers, and where."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
        """Flag id -> the spans its patterns matched (non-empty matches only), in text order."""
        found: dict[str, list[Span]] = {}
        for flag_id, regex in self._compiled:
            for match in regex.finditer(text):
                if match.end() > match.start():
                    spans = found.setdefault(flag_id, [])
                    span = Span(match.start(), match.end(), match.group(0))
                    if span not in spans:
                        spans.append(span)
        for spans in found.values():
            spans.sort(key=lambda s: s.start)
        return found
