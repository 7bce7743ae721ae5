"""Fixed texts the bot says when it has no entry to answer with."""

from __future__ import annotations

from bot.retrieval.results import Status

DECLINE_TEXT = (
    "Sorry, I don't have a good answer for that. I know about fake job offers, crypto and "
    "investment scams, AI tricks such as deepfakes, and what to do if something feels off. "
    "Try asking about one of those."
)
EMPTY_TEXT = "Send me a question in words, for example: is a job that pays to like videos real?"


def decline_text(status: Status) -> str:
    """What to say when a search found nothing to answer with."""
    return EMPTY_TEXT if status is Status.EMPTY else DECLINE_TEXT
