"""Short definitional questions: "what is X", "X meaning", "how do i spot X", "X是什么".

Such a question is about X alone. Searched as typed, the frame words ("what is") pull towards
entries whose questions share them (e.g. "what is ScamWise"), and dilute X's own match, so the
retriever searches for X instead. Longer questions are left alone: only a short X counts.
"""

from __future__ import annotations

import re

MAX_TERM_WORDS = 5  # "what is a fake crypto exchange app" still counts; sentences do not
_ARTICLE = r"(?:(?:a|an|the)\s+)?"
_FRAMES = [
    re.compile(
        rf"^(?:what\s+is|what's|whats|what\s+are|what\s+r|define|meaning\s+of)\s+{_ARTICLE}(?P<x>.+?)$"
    ),
    re.compile(rf"^what\s+does\s+{_ARTICLE}(?P<x>.+?)\s+mean$"),
    re.compile(
        rf"^(?:how\s+(?:do|can|to)\s+(?:i|you|we)?\s*(?:spot|recognise|recognize|identify|detect|tell)|how\s+to\s+spot)\s+{_ARTICLE}(?P<x>.+?)$"
    ),
    re.compile(rf"^{_ARTICLE}(?P<x>.+?)\s+(?:meaning|definition|explained)$"),
    re.compile(r"^(?:什么是|什麼是|何为|何謂)(?P<x>.+?)$"),
    re.compile(
        r"^(?P<x>.+?)\s*(?:是什么意思|是什麼意思|什么意思|什麼意思|是什么|是什麼|是啥|指什么|的意思)$"
    ),
]
_TRAILING = re.compile(r"[\s?？!！.。,，]+$")
# "what's a good credit score" asks for advice, not for the meaning of a name.
_ADVICE = re.compile(r"^(?:good|best|better|cheap|cheapest|easy|easiest|nice|right)\b")


def definition_term(query: str) -> str | None:
    """X when the query is a short "what is X"-style question, else None."""
    text = _TRAILING.sub("", query.strip().lower())
    for frame in _FRAMES:
        match = frame.match(text)
        if match:
            term = _TRAILING.sub("", match.group("x")).strip()
            if term and len(term.split()) <= MAX_TERM_WORDS and not _ADVICE.match(term):
                return term
    return None


MAX_TERM_CHARS = 24
MAX_BARE_WORDS = 2  # "pig butchering"; "bitcoin price today" is a question, not a name


def is_term(query: str) -> bool:
    """Whether a query is just a name for something: "ICO", "刷单", "what is pig butchering"."""
    if definition_term(query) is not None:
        return True
    text = _TRAILING.sub("", query.strip())
    return len(text.split()) <= MAX_BARE_WORDS and len(text) <= MAX_TERM_CHARS
