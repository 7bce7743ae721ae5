"""Which language a question is written in, and Traditional Chinese folded into Simplified.

The knowledge base holds English and Simplified Chinese. A question is searched as Chinese
when Chinese characters make up at least as much of it as Latin letters do, counting one
character as two letters (a Chinese word is two characters, an English one five letters or
so): "有人在tg上私信我 说高薪jz" is Chinese, "guy says he needs my 助记词 to fix it" English
with a Chinese word in it, which the English side answers better. Traditional input is
converted to Simplified with OpenCC (`t2s`) before it is searched, and so are the indexed
Chinese texts, so 刷單 and 刷单 are the same word to BM25 and to the encoder.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Literal

SearchLanguage = Literal["en", "zh"]
# How BM25 cuts Chinese text: jieba words, character bigrams, or both.
ChineseTokens = Literal["jieba", "bigrams", "both"]
SEARCH_LANGUAGES: tuple[SearchLanguage, ...] = ("en", "zh")
# CJK unified ideographs, extension A and the compatibility block.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
LETTERS_PER_HAN = 2

_LOCK = threading.Lock()


def has_han(text: str) -> bool:
    """Whether `text` holds at least one Chinese character."""
    return HAN.search(text) is not None


def search_language(text: str) -> SearchLanguage:
    """Chinese ("zh") when Chinese characters weigh at least as much as Latin letters."""
    han = len(HAN.findall(text))
    if not han:
        return "en"
    return "zh" if han * LETTERS_PER_HAN >= len(_LATIN_LETTER.findall(text)) else "en"


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """`text` with Traditional characters and phrases in their Simplified form (OpenCC t2s).

    Text without Chinese characters is returned as it is, without touching OpenCC.
    """
    if not has_han(text):
        return text
    converter = _t2s()
    with _LOCK:  # one converter for the process; OpenCC does not promise thread safety
        return str(converter.convert(text))


def load() -> None:
    """Load the converter now (at start-up) rather than at the first Chinese question."""
    _t2s()
