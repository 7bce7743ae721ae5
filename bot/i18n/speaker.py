"""One event's language, from choice to the finished reply (Traditional generated last).

`Speaker.resolve` picks the language of an event (bot.i18n.choose); the conversation builds its
replies inside `speaking(lang)`; `Speaker.finish` turns a zh-Hant reply, built in Simplified,
into the Traditional variant of the user's region (bot.i18n.hant).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from bot.conversation.replies import Who
from bot.i18n.choose import HANT, LanguageMemory
from bot.i18n.context import current_language
from bot.i18n.convert import convert_any
from bot.i18n.hant import Traditional, variant_for

log = logging.getLogger(__name__)
T = TypeVar("T")

# Deep-link payloads (t.me/bot?start=…) carry a Chinese language as a prefix; English links
# have none, so that they read as before. Payloads are at most 64 characters of [A-Za-z0-9_-].
LINK_PREFIXES: dict[str, str] = {"zh-Hans": "zh", "zh-Hant": "zht"}


def link_payload(payload: str, lang: str | None = None) -> str:
    """The payload with the language of the reply being built (or `lang`) in front."""
    prefix = LINK_PREFIXES.get(lang or current_language())
    return f"{prefix}-{payload}" if prefix else payload


def split_link_language(payload: str) -> tuple[str | None, str]:
    """(language or None, the payload without its language prefix)."""
    head, dash, rest = payload.partition("-")
    for lang, prefix in LINK_PREFIXES.items():
        if dash and head == prefix:
            return lang, rest
    return None, payload


class Speaker:
    """Chooses each event's language and renders zh-Hant replies in Traditional."""

    def __init__(self, store: object, traditional: Traditional | None = None) -> None:
        self.store = store
        self.memory = LanguageMemory(store)
        self.traditional = traditional or Traditional()

    async def resolve(self, who: Who, text: str | None = None) -> str:
        """The language to answer this event in."""
        return await self.memory.resolve(who.user_id, who.language_code, text)

    async def _region(self, user_id: int) -> str | None:
        get = getattr(self.store, "get_region", None)
        if get is None:
            return None
        try:
            region: str | None = await get(user_id)
            return region
        except Exception:  # storage trouble: the language_code decides the variant
            log.exception("could not read the region of a user")
            return None

    async def shown(self, lang: str, who: Who | None) -> Callable[[str], str] | None:
        """How this user reads a text: the Traditional conversion for zh-Hant, else None."""
        if lang != HANT:
            return None
        region = await self._region(who.user_id) if who is not None else None
        variant = variant_for(region, who.language_code if who else "")
        return lambda text: self.traditional.convert(text, variant)

    async def finish(self, lang: str, who: Who | None, value: T) -> T:
        """The reply as the user reads it: Traditional for zh-Hant, else unchanged."""
        return self.apply(await self.shown(lang, who), value)

    @staticmethod
    def apply(shown: Callable[[str], str] | None, value: T) -> T:
        """Convert a reply with `shown` (from `shown()`; None leaves it as it is)."""
        return convert_any(value, shown) if shown is not None else value

    def finish_quick(self, lang: str, who: Who, value: T) -> T:
        """`finish` without a store read (the variant from the language_code only)."""
        if lang != HANT:
            return value
        return self.finish_as(variant_for(None, who.language_code), value)

    def finish_as(self, variant: str, value: T) -> T:
        """Convert to one Traditional variant (hk, tw or hant)."""
        return convert_any(value, lambda text: self.traditional.convert(text, variant))
