"""Lengths as Telegram counts them: in UTF-16 code units, not Python characters.

An emoji such as 🚩 is one Python character but two UTF-16 units, so a reply of 4,000
characters with a few hundred emoji is over Telegram's 4,096-unit message limit. Every limit
Telegram states in characters (message text, captions, callback-query notices, poll fields)
is measured with `utf16_len`; callback data and inline result ids are in bytes (UTF-8).
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf16_cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """`text` cut to at most `limit` UTF-16 units, never inside a character; `ellipsis` if cut."""
    if utf16_len(text) <= limit:
        return text
    room = limit - utf16_len(ellipsis)
    out, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > room:
            break
        out.append(char)
        used += size
    return "".join(out).rstrip() + ellipsis
