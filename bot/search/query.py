"""Make any text a person can type safe to search: strip control characters, cut long input."""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 1000  # the model reads ~256 word pieces; more text only costs time
_SPACES = re.compile(r"\s+")


def clean_query(text: str, max_chars: int = MAX_QUERY_CHARS) -> str | None:
    """Return the searchable form of `text`, or None when there is nothing to search.

    Control and format characters become spaces, whitespace is folded, and text longer than
    `max_chars` is cut at the last space before the limit (or at the limit when there is none).
    Text with no letter or digit in any script (empty, blanks, emoji, punctuation) is None.
    """
    if not isinstance(text, str):
        return None
    chars = (" " if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} else ch for ch in text)
    folded = _SPACES.sub(" ", "".join(chars)).strip()
    if len(folded) > max_chars:
        cut = folded[:max_chars]
        space = cut.rfind(" ")
        folded = cut[:space] if space > max_chars // 2 else cut
    if not any(ch.isalnum() for ch in folded):
        return None
    return folded
