"""Driving a real Application in-process, for the soak script and the reliability tests.

Updates go in through `update_queue`, as the updater would put them, and a handler in a group
after all of the product's marks each one finished, so a caller can wait for exactly the
replies its update caused. The offline Bot API files every successful call under its chat.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from typing import Any

from telegram import Update
from telegram.ext import TypeHandler

from bot.telegram.offline import Call, OfflineRequest, callback_update, private_update

DONE_GROUP = 1_000_000  # a handler group after all of the product's: marks an update as done


class ChatRequest(OfflineRequest):
    """The offline Bot API, also filing every successful call under its chat."""

    def __init__(self) -> None:
        super().__init__(keep_calls=False)
        self.by_chat: dict[int, list[Call]] = defaultdict(list)

    def _notify(self, call: Call) -> None:
        chat_id = call.params.get("chat_id")
        if chat_id is None and call.method == "answerCallbackQuery":
            chat_id = call.params["callback_query_id"].split("-", 1)[0]
        if chat_id is not None:
            self.by_chat[int(chat_id)].append(call)
        super()._notify(call)


def buttons(call: Call) -> list[str]:
    """The callback data of a call's inline keyboard."""
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
            if "callback_data" in b]  # fmt: skip


class Driver:
    """Feeds updates through `update_queue` and waits until every handler has finished."""

    def __init__(self, app: Any, request: ChatRequest, timeout_s: float = 120.0) -> None:
        self.app, self.request, self.timeout_s = app, request, timeout_s
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[None]] = {}

        async def done(update: Update, context: Any) -> None:
            future = self.pending.pop(update.update_id, None)
            if future is not None and not future.done():
                future.set_result(None)

        app.add_handler(TypeHandler(Update, done), group=DONE_GROUP)

    async def feed(self, chat_id: int, data: dict[str, Any]) -> list[Call]:
        """Deliver one update; the calls it caused in that chat."""
        seen = len(self.request.by_chat[chat_id])
        future = asyncio.get_running_loop().create_future()
        self.pending[data["update_id"]] = future
        await self.app.update_queue.put(Update.de_json(data, self.app.bot))
        await asyncio.wait_for(future, self.timeout_s)
        return self.request.by_chat[chat_id][seen:]

    async def say(self, user_id: int, text: str) -> list[Call]:
        """One private text message from this user."""
        return await self.feed(user_id, private_update(next(self.ids), user_id, text))

    async def press(self, user_id: int, message_id: int, data: str) -> list[Call]:
        """This user presses the button with callback `data` under the bot's message."""
        update_id = next(self.ids)
        # The query id starts with the chat, so that ChatRequest files the answer under it.
        update = callback_update(update_id, user_id, message_id, data, f"{user_id}-{update_id}")
        return await self.feed(user_id, update)
