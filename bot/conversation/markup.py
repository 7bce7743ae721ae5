"""A tiny rich-text model for replies, rendered as Telegram HTML or as plain text.

Replies are built from spans (text plus bold/italic/link), never from HTML strings, so every
piece of user or knowledge text is escaped in exactly one place: `to_html`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.conversation.utf16 import utf16_len

# Telegram rejects messages over 4096 characters (counted after entities are parsed, in UTF-16
# code units); we cap the HTML source in UTF-16 units, which is always at least as long, so a
# chunk can never be too long.
TELEGRAM_MAX_CHARS = 4096


@dataclass(frozen=True)
class Span:
    """A run of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None


Text = tuple[Span, ...]


def plain(text: str) -> Span:
    """An unstyled span."""
    return Span(text)


def bold(text: str) -> Span:
    """A bold span."""
    return Span(text, bold=True)


def italic(text: str) -> Span:
    """An italic span."""
    return Span(text, italic=True)


def link(text: str, url: str) -> Span:
    """A hyperlink span."""
    return Span(text, url=url)


def to_plain(spans: Iterable[Span]) -> str:
    """The text without styles (links show their address after the text)."""
    out = []
    for span in spans:
        out.append(
            f"{span.text} ({span.url})" if span.url and span.url != span.text else span.text
        )
    return "".join(out)


def _span_html(span: Span) -> str:
    text = html.escape(span.text, quote=False)
    if span.url:
        text = f'<a href="{html.escape(span.url, quote=True)}">{text}</a>'
    if span.italic:
        text = f"<i>{text}</i>"
    if span.bold:
        text = f"<b>{text}</b>"
    return text


def to_html(spans: Iterable[Span]) -> str:
    """Telegram HTML: text escaped, styles as <b>, <i> and <a href> only."""
    return "".join(_span_html(span) for span in spans)


def paragraphs(spans: Sequence[Span]) -> list[list[Span]]:
    """Split spans at blank lines ("\\n\\n") into paragraphs, keeping each span's style."""
    result: list[list[Span]] = [[]]
    for span in spans:
        pieces = span.text.split("\n\n")
        for i, piece in enumerate(pieces):
            if i:
                result.append([])
            if piece:
                result[-1].append(Span(piece, span.bold, span.italic, span.url))
    return [p for p in result if p]


def _cut_words(span: Span, limit: int) -> list[Span]:
    """Cut one span into pieces whose HTML fits `limit`, preferring spaces."""
    pieces: list[Span] = []
    rest = span.text
    while rest:
        size = len(rest)
        while utf16_len(_span_html(Span(rest[:size], span.bold, span.italic, span.url))) > limit:
            size = max(1, size * 3 // 4)
        cut = rest[:size]
        if size < len(rest) and " " in cut[size // 2 :]:
            cut = cut[: cut.rfind(" ") + 1]
        pieces.append(Span(cut, span.bold, span.italic, span.url))
        rest = rest[len(cut) :]
    return pieces


def _paragraph_chunks(paragraph: list[Span], limit: int) -> list[str]:
    """One paragraph as HTML pieces of at most `limit` characters."""
    chunks: list[str] = []
    current = ""
    for span in paragraph:
        for piece in _cut_words(span, limit):
            rendered = _span_html(piece)
            if current and utf16_len(current) + utf16_len(rendered) > limit:
                chunks.append(current)
                current = ""
            current += rendered
    if current:
        chunks.append(current)
    return chunks


def split_html(spans: Sequence[Span], limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """Render to HTML messages of at most `limit` UTF-16 units, split at paragraph boundaries.

    A paragraph longer than the limit is cut between words; no tag or entity is ever cut.
    """
    messages: list[str] = []
    current = ""
    for paragraph in paragraphs(spans):
        for chunk in _paragraph_chunks(paragraph, limit):
            joined = f"{current}\n\n{chunk}" if current else chunk
            if utf16_len(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = chunk
    if current:
        messages.append(current)
    return messages or [""]
