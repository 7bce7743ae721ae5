"""The conversation in the user's language: catalogues, language choice, Traditional Chinese.

No `telegram` import here: the adapters pass plain values (a language_code, a region).
"""

from bot.i18n.context import N_, _, as_shown, current_language, ngettext, speaking

__all__ = ["N_", "_", "as_shown", "current_language", "ngettext", "speaking"]
