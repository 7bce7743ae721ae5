"""Persistent storage: anonymous unanswered-question and feedback logs, and user tables."""

from bot.storage.schema import USER_TABLES, fold_question
from bot.storage.store import (
    DEFAULT_URL,
    FeedbackRow,
    StorageError,
    Store,
    UnansweredRow,
    mask_url,
)

__all__ = [
    "DEFAULT_URL",
    "USER_TABLES",
    "FeedbackRow",
    "StorageError",
    "Store",
    "UnansweredRow",
    "fold_question",
    "mask_url",
]
