"""A zh field of knowledge that bot.knowledge.localize has no accessor for (red flags).

Entries, quizzes, sources and regions go through bot.knowledge.localize. The message checker's
flags get their zh name and why from flags.yaml; until a flag has them, `pick` gives the
English text, so nothing breaks.
"""

from __future__ import annotations

from typing import Any

from bot.knowledge.localize import content_language


def _zh(obj: object, lang: str) -> Any:
    """The object's zh block when `lang` is Chinese and it has one, else None."""
    return getattr(obj, "zh", None) if content_language(lang) != "en" else None


def _field(block: Any, name: str) -> Any:
    if block is None:
        return None
    if isinstance(block, str):  # a one-field block, e.g. a help line's `zh: …`
        return block
    return block.get(name) if isinstance(block, dict) else getattr(block, name, None)


def pick(obj: object, lang: str, name: str, english: Any) -> Any:
    """Field `name` of the zh block in Chinese (when present and non-empty), else `english`."""
    value = _field(_zh(obj, lang), name)
    return value if value else english
