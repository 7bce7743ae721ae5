"""The language of the reply being built, and gettext's `_` over it.

The conversation core sets the language once per event (`speaking`); everything that builds
the reply calls `_()` on English msgids and gets the text in that language. A context variable
keeps concurrent updates apart: each asyncio task has its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from bot.i18n.catalog import catalogue
from bot.knowledge.localize import DEFAULT_LANGUAGE

_language: ContextVar[str] = ContextVar("scamwise_language", default=DEFAULT_LANGUAGE)
# How a finished text is shown (Simplified -> Traditional for zh-Hant), for the few texts that
# leave as pixels and cannot be converted afterwards (chart labels).
_shown: ContextVar[Callable[[str], str] | None] = ContextVar("scamwise_shown", default=None)


def current_language() -> str:
    """The language tag of the reply being built: "en", "zh-Hans" or "zh-Hant"."""
    return _language.get()


@contextlib.contextmanager
def speaking(lang: str, shown: Callable[[str], str] | None = None) -> Iterator[str]:
    """Build replies in `lang` inside the block (`shown`: the Traditional conversion, if any)."""
    token, shown_token = _language.set(lang), _shown.set(shown)
    try:
        yield lang
    finally:
        _shown.reset(shown_token)
        _language.reset(token)


def as_shown(text: str) -> str:
    """`text` as the user will read it (converted now, for text drawn into an image)."""
    shown = _shown.get()
    return shown(text) if shown is not None else text


def _(msgid: str) -> str:
    """The fixed text `msgid` (English) in the current language."""
    found = catalogue(_language.get())
    return found.gettext(msgid) if found is not None else msgid


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural text for `count`, in the current language."""
    found = catalogue(_language.get())
    if found is None:
        return singular if count == 1 else plural
    return found.ngettext(singular, plural, count)


def N_(msgid: str) -> str:
    """Mark a constant as a msgid for extraction; it is translated where it is used (`_`)."""
    return msgid
