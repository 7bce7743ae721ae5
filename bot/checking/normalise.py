"""Traditional Chinese read as Simplified, character for character, so that one set of Chinese
patterns and one set of Chinese examples serve both scripts (OpenCC `t2s`, imported lazily)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """The text with Traditional characters made Simplified, the same length as the input, so
    a span found in the result is the same span of the original. Text without Chinese
    characters is returned as it is."""
    if not _CJK.search(text):
        return text
    convert = _converter().convert
    out = convert(text)
    if len(out) == len(text):
        return out
    # A phrase conversion changed the length: convert character by character instead.
    return "".join(ch if len(c := convert(ch)) != 1 else c for ch in text)
