"""Drive the real PTB Application offline: a fake Bot API server and realistic Update JSON.

`FakeRequest` stands in for PTB's HTTP layer (a `telegram.request.BaseRequest`): it records every
Bot API call as (method, parameters) and answers with the JSON Telegram would send. `Updates`
builds update dicts as Telegram delivers them; `feed` pushes one through the application.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram import Update

from bot.settings import Settings, load_settings
from bot.telegram import build_application
from bot.telegram.offline import (  # noqa: F401  (re-exported for the tests)
    BOT_ID,
    BOT_USER,
    BOT_USERNAME,
    TEXT_METHODS,
    TOKEN,
    TOO_MANY,
    USER_ID,
    Call,
    OfflineRequest,
    chat,
)

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
GROUP_ID = -1001234567890
FakeRequest = OfflineRequest


def bot_message(chat_id: int, text: str, message_id: int = 1) -> dict[str, Any]:
    """A text message the bot sent earlier."""
    return {"message_id": message_id, "from": BOT_USER, "chat": chat(chat_id),
            "date": int(time.time()) - 60, "text": text}  # fmt: skip


def keyboard_data(call: Call) -> list[list[dict[str, Any]]]:
    """The inline keyboard rows of a recorded call (empty when it has none)."""
    markup = call.params.get("reply_markup") or {}
    rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
    return rows


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le")) // 2


MEDIA: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {
            "file_id": "st1", "file_unique_id": "ust1", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": "😀",
        }
    },
    "photo": {
        "photo": [
            {"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90},
            {"file_id": "p2", "file_unique_id": "up2", "width": 800, "height": 800},
        ]
    },
    "voice": {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 3}},
    "video": {
        "video": {
            "file_id": "vd1", "file_unique_id": "uvd1", "width": 640, "height": 360,
            "duration": 5,
        }
    },
    "video_note": {
        "video_note": {"file_id": "vn1", "file_unique_id": "uvn1", "length": 240, "duration": 4}
    },
    "audio": {"audio": {"file_id": "a1", "file_unique_id": "ua1", "duration": 120}},
    "document": {
        "document": {
            "file_id": "d1", "file_unique_id": "ud1", "file_name": "offer.pdf",
            "mime_type": "application/pdf",
        }
    },
    "location": {"location": {"latitude": 22.3193, "longitude": 114.1694}},
    "contact": {"contact": {"phone_number": "+85212345678", "first_name": "Agent"}},
    "animation": {
        "animation": {
            "file_id": "an1", "file_unique_id": "uan1", "width": 320, "height": 240,
            "duration": 2,
        },
        "document": {"file_id": "an1", "file_unique_id": "uan1", "mime_type": "video/mp4"},
    },
    "poll": {
        "poll": {
            "id": "poll1", "question": "Is it a scam?",
            "options": [
                {"text": "Yes", "voter_count": 0, "persistent_id": "o1"},
                {"text": "No", "voter_count": 0, "persistent_id": "o2"},
            ],
            "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
            "type": "regular", "allows_multiple_answers": False,
            "allows_revoting": False, "members_only": False,
        }
    },
}  # fmt: skip


class Updates:
    """Factories for update dicts as Telegram sends them; ids increase on every call."""

    def __init__(self, user_id: int = USER_ID, first_name: str = "Mei") -> None:
        self.user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        self._update_id = 500000
        self._message_id = 1

    def _ids(self) -> tuple[int, int]:
        self._update_id += 1
        self._message_id += 1
        return self._update_id, self._message_id

    def message(self, chat_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """A new message in a chat (the user's private chat by default)."""
        update_id, message_id = self._ids()
        message = {
            "message_id": message_id,
            "from": self.user,
            "chat": chat(self.user["id"] if chat_id is None else chat_id),
            "date": int(time.time()),
            **fields,
        }
        return {"update_id": update_id, "message": message}

    def text(self, text: str, chat_id: int | None = None, **fields: Any) -> dict[str, Any]:
        """A plain text message."""
        return self.message(chat_id, text=text, **fields)

    def command(self, command: str, args: str = "", chat_id: int | None = None) -> dict[str, Any]:
        """A command such as "start" or "help@ScamWiseTestBot", with a bot_command entity."""
        head = f"/{command}"
        text = f"{head} {args}" if args else head
        entity = {"type": "bot_command", "offset": 0, "length": utf16_len(head)}
        return self.message(chat_id, text=text, entities=[entity])

    def mention(self, text: str, chat_id: int = GROUP_ID) -> dict[str, Any]:
        """A group message "@ScamWiseTestBot <text>" with a mention entity."""
        handle = f"@{BOT_USERNAME}"
        entity = {"type": "mention", "offset": 0, "length": utf16_len(handle)}
        return self.message(chat_id, text=f"{handle} {text}", entities=[entity])

    def reply_to_bot(self, text: str, chat_id: int = GROUP_ID) -> dict[str, Any]:
        """A group message replying to one of the bot's messages."""
        replied = bot_message(chat_id, "an earlier answer")
        return self.message(chat_id, text=text, reply_to_message=replied)

    def media(
        self, kind: str, caption: str | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        """A non-text message of one kind (see MEDIA), optionally with a caption."""
        fields = dict(MEDIA[kind])
        if caption is not None:
            fields["caption"] = caption
        return self.message(chat_id, **fields)

    def callback(self, data: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        """A button press on `message` (by default a bot message in the private chat)."""
        update_id, _ = self._ids()
        pressed = message or bot_message(self.user["id"], "a message with buttons")
        query = {
            "id": f"cq{update_id}",
            "from": self.user,
            "chat_instance": "-8800555",
            "message": pressed,
            "data": data,
        }
        return {"update_id": update_id, "callback_query": query}

    def poll_answer(
        self, poll_id: str, option_ids: list[int], voter_chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A vote in a public poll ([] retracts it); `voter_chat` makes it an anonymous admin's."""
        update_id, _ = self._ids()
        answer: dict[str, Any] = {
            "poll_id": poll_id,
            "option_ids": option_ids,
            "option_persistent_ids": [f"{poll_id}-{n}" for n in option_ids],
        }
        if voter_chat is None:
            answer["user"] = self.user
        else:
            answer["voter_chat"] = voter_chat
        return {"update_id": update_id, "poll_answer": answer}

    def poll_state(self, poll: dict[str, Any], *, closed: bool = True) -> dict[str, Any]:
        """A poll update (new counts, or closed), as bots get for polls they sent."""
        update_id, _ = self._ids()
        return {"update_id": update_id, "poll": {**poll, "is_closed": closed}}

    def inline(self, query: str) -> dict[str, Any]:
        """An inline query "@ScamWiseTestBot <query>"."""
        update_id, _ = self._ids()
        inline = {"id": f"iq{update_id}", "from": self.user, "query": query, "offset": ""}
        return {"update_id": update_id, "inline_query": inline}

    def edited(self, text: str) -> dict[str, Any]:
        """An edited message."""
        data = self.text(text)
        data["message"]["edit_date"] = int(time.time())
        return {"update_id": data["update_id"], "edited_message": data["message"]}

    def channel_post(self, text: str, chat_id: int = -1009876543210) -> dict[str, Any]:
        """A post in a channel the bot belongs to."""
        update_id, message_id = self._ids()
        post = {
            "message_id": message_id,
            "chat": {"id": chat_id, "type": "channel", "title": "Scam news"},
            "date": int(time.time()),
            "text": text,
        }
        return {"update_id": update_id, "channel_post": post}


async def feed(application: Any, data: dict[str, Any]) -> None:
    """Deliver one update dict to the application, as the updater would."""
    await application.process_update(Update.de_json(data, application.bot))


@asynccontextmanager
async def running(application: Any) -> AsyncIterator[Any]:
    """Initialize and post_init the application, then shut it down, like run_polling does."""
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        yield application
    finally:
        if application.post_shutdown:
            await application.post_shutdown(application)
        await application.shutdown()


def telegram_settings(tmp_path: Path, index_dir: Path, **overrides: Any) -> Settings:
    """Settings for the real knowledge folder, a given index and a fresh database."""
    values: dict[str, Any] = {
        "knowledge_dir": KNOWLEDGE,
        "index_dir": index_dir,
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3",
        "telegram_bot_token": TOKEN,
    }
    return load_settings(**{**values, **overrides})


class BotUnderTest:
    """A started application with its fake Bot API and an update factory for one user."""

    def __init__(self, application: Any, request: FakeRequest) -> None:
        self.app = application
        self.request = request
        self.updates = Updates()

    @property
    def services(self) -> Any:
        """The Services opened in post_init."""
        return self.app.bot_data["services"]

    async def send(self, data: dict[str, Any]) -> list[Call]:
        """Feed one update; return the Bot API calls it caused."""
        before = len(self.request.calls)
        await feed(self.app, data)
        return self.request.calls[before:]

    async def press(self, call: Call, data: str) -> list[Call]:
        """Press the button with callback `data` under the message that `call` sent."""
        assert any(b.get("callback_data") == data for row in keyboard_data(call) for b in row)
        return await self.send(self.updates.callback(data, message=call.result))


@asynccontextmanager
async def started(settings: Settings, embedder: Any = None) -> AsyncIterator[BotUnderTest]:
    """Build, initialize and post_init an application on a fake Bot API; shut it down after."""
    request = FakeRequest()
    application = build_application(settings, request, request, embedder=embedder)
    async with running(application):
        request.clear()  # getMe and setMyCommands from the start-up
        yield BotUnderTest(application, request)
