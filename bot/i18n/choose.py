"""Which language to answer in: the message's own, else the user's choice, else Telegram's.

Rules (issue 15):
- a message written in Chinese is answered in Chinese, one written in English in English;
- otherwise (a command, a button, "USDT?") the language of the user's last message, then the
  choice made with /language (stored), then Telegram's `language_code`, then English;
- Chinese is Traditional for a user who chose it or whose language_code is zh-hk / zh-tw /
  zh-hant, and for a message written in Traditional characters; Simplified otherwise.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from bot.knowledge.localize import LANGUAGES

log = logging.getLogger(__name__)

EN, HANS, HANT = LANGUAGES
_HANT_CODES = frozenset({"zh-hk", "zh-tw", "zh-hant", "zh-mo"})
_HANS_CODES = frozenset({"zh", "zh-hans", "zh-cn", "zh-sg", "zh-my"})
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]{2,}")
# An English message has this many Latin words (and no Chinese); "USDT?" or "ok" decide nothing.
MIN_ENGLISH_WORDS = 2
_MAX_REMEMBERED = 50_000  # users whose last message language (and choice) is kept in memory
# A stored /language choice is re-read after this long: another replica may have changed it.
CHOICE_TTL_S = 60.0


def from_language_code(code: str | None) -> str | None:
    """Telegram's IETF language_code as a language tag (None when it is neither en nor zh)."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in _HANT_CODES or code.startswith(("zh-hant", "zh-hk", "zh-tw")):
        return HANT
    if code in _HANS_CODES or code.startswith("zh"):
        return HANS
    if code == "en" or code.startswith("en-"):
        return EN
    return None


@functools.cache
def _opencc(config: str) -> object:
    import opencc

    return opencc.OpenCC(config)


def _changed(config: str, text: str) -> int:
    converted: str = _opencc(config).convert(text)  # type: ignore[attr-defined]
    return sum(a != b for a, b in zip(text, converted, strict=False))


def chinese_script(text: str) -> str:
    """zh-Hant when more characters are Traditional-only than Simplified-only, else zh-Hans."""
    chinese = "".join(_CJK.findall(text))
    return HANT if _changed("t2s", chinese) > _changed("s2t", chinese) else HANS


def written_language(text: str) -> str | None:
    """The language a message is written in, or None when it does not say (too short).

    Chinese wins when its characters outnumber twice the Latin words ("tg上有人叫我刷单",
    "USDT是什么"); English needs two Latin words ("is 刷单返利 a scam" is English).
    """
    chinese = len(_CJK.findall(text))
    words = len(_WORD.findall(text))
    if chinese and chinese > 2 * words:
        return chinese_script(text)
    if words >= MIN_ENGLISH_WORDS:
        return EN
    return chinese_script(text) if chinese else None


class LanguageStore(Protocol):
    """Where /language choices are kept (bot.storage.store.Store)."""

    async def get_language(self, user_id: int) -> str | None: ...

    async def set_language(self, user_id: int, language: str) -> None: ...


class LanguageMemory:
    """The stored /language choices plus, in memory, the language of each user's last message."""

    def __init__(self, store: object, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.heard: OrderedDict[int, str] = OrderedDict()
        # The stored choice (or None) and when it was read: a database read per command or
        # button would cost more than the rest of the language choice together.
        self._chosen: OrderedDict[int, tuple[float, str | None]] = OrderedDict()
        self._clock = clock

    def _remember(self, user_id: int, lang: str | None) -> None:
        self._chosen[user_id] = (self._clock(), lang)
        self._chosen.move_to_end(user_id)
        while len(self._chosen) > _MAX_REMEMBERED:
            self._chosen.popitem(last=False)

    def hear(self, user_id: int, lang: str) -> None:
        """Remember the language of a message, for the buttons and commands that follow."""
        self.heard[user_id] = lang
        self.heard.move_to_end(user_id)
        while len(self.heard) > _MAX_REMEMBERED:
            self.heard.popitem(last=False)

    async def chosen(self, user_id: int) -> str | None:
        """The /language choice, or None (also when the store has none or fails)."""
        cached = self._chosen.get(user_id)
        if cached is not None and self._clock() - cached[0] < CHOICE_TTL_S:
            return cached[1]
        get = getattr(self.store, "get_language", None)
        if get is None:
            return None
        try:
            lang = await get(user_id)
        except Exception:  # storage trouble must not spoil the conversation
            log.exception("could not read the language of a user")
            return None
        lang = lang if lang in LANGUAGES else None
        self._remember(user_id, lang)
        return lang

    async def choose(self, user_id: int, lang: str) -> None:
        """Store a /language choice; it applies from the next reply on."""
        self.heard.pop(user_id, None)
        put = getattr(self.store, "set_language", None)
        if put is None:
            return
        try:
            await put(user_id, lang)
        except Exception:
            log.exception("could not store the language of a user")
            return
        self._remember(user_id, lang)

    def forget(self, user_id: int) -> None:
        """Drop what is held in memory (for /forgetme; the store deletes its own row)."""
        self.heard.pop(user_id, None)
        self._chosen.pop(user_id, None)

    async def resolve(self, user_id: int, language_code: str, text: str | None = None) -> str:
        """The language to answer this event in (see the module's rules)."""
        written = written_language(text) if text else None
        if written is not None:
            self.hear(user_id, written)
        else:
            written = self.heard.get(user_id)
        if written == EN:
            return EN
        preferred = await self.chosen(user_id) or from_language_code(language_code)
        if written is None:
            return preferred or EN
        # Chinese: the user's chosen script when they have one, else the message's.
        return preferred if preferred in (HANS, HANT) else written

    def quick(self, user_id: int, language_code: str) -> str:
        """The language without a store read (for the flood notice, which must be cheap)."""
        return self.heard.get(user_id) or from_language_code(language_code) or EN
