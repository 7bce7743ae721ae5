"""The Telegram adapter: python-telegram-bot handlers around the conversation core.

This package is the only place that imports `telegram`.
"""

from __future__ import annotations

from bot.telegram.app import build_application

__all__ = ["build_application"]
