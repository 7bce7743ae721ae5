"""Button actions (Telegram callback data): short strings, at most 64 bytes, parsed strictly.

Telegram limits callback data to 1–64 bytes and sends back whatever a client claims, so every
action is validated against the knowledge base before use; anything else has "expired".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ACTION_BYTES = 64
_PATTERN = re.compile(r"^([a-z]{1,8})(?::([A-Za-z0-9_.\-]{1,56}))?(?::([A-Za-z0-9_.\-]{1,40}))?$")


@dataclass(frozen=True)
class Action:
    """A parsed action: a verb and up to two arguments."""

    verb: str
    arg: str = ""
    arg2: str = ""


def encode(verb: str, arg: str = "", arg2: str = "") -> str:
    """Build action data; raises ValueError if it would not fit Telegram's 64 bytes."""
    if arg2 and not arg:
        raise ValueError("an action with a second argument needs a first one")
    data = ":".join(p for p in (verb, arg, arg2) if p)
    if len(data.encode()) > MAX_ACTION_BYTES or parse(data) is None:
        raise ValueError(f"action {data!r} is not valid callback data")
    return data


def parse(data: object) -> Action | None:
    """Parse action data; None when malformed (forged, truncated or from an old version)."""
    if not isinstance(data, str) or len(data.encode()) > MAX_ACTION_BYTES:
        return None
    match = _PATTERN.match(data)
    if match is None:
        return None
    verb, arg, arg2 = match.groups()
    return Action(verb, arg or "", arg2 or "")
