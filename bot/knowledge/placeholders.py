"""Placeholders such as `{retention_days}` in knowledge text, filled from settings when shown.

Knowledge text may only name the placeholders listed in PLACEHOLDERS (validation reports any
other); the answer composer replaces them with the values the running bot uses, so a text such
as the privacy entry never disagrees with the settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Placeholder name -> the setting it comes from (see bot/settings.py and .env.example).
PLACEHOLDERS: dict[str, str] = {
    "retention_days": "SCAMWISE_RETENTION_DAYS",
}
PLACEHOLDER_RE = re.compile(r"\{([^{}\s]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The `{names}` in a text that are not known placeholders, in order."""
    return [name for name in PLACEHOLDER_RE.findall(text) if name not in PLACEHOLDERS]


def fill(text: str, values: Mapping[str, object]) -> str:
    """The text with each known placeholder replaced by its value (others are left as written)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER_RE.sub(replace, text)


def values_from(retention_days: int) -> dict[str, object]:
    """The placeholder values of a running bot, from its settings."""
    return {"retention_days": retention_days}
