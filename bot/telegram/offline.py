"""An offline Bot API: a `BaseRequest` that answers locally and never uses the network.

It lets the real python-telegram-bot `Application` run with no Telegram server: the benchmark
(`scripts/bench.py`), the crash-recovery probe and the test-suite use it. Every call is recorded
as (method, parameters, files) and answered with the JSON Telegram would send; `fail_next`
injects 429s, 5xx answers and network errors; `wait_for` lets a driver await a reply.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000000001
BOT_USERNAME = "ScamWiseTestBot"
# A well-formed token for offline runs; it is not a real bot's token.
TOKEN = f"{BOT_ID}:AAHq-test-SECRET_zX9qWeRtYuIoPaSdFgHjKl0"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "ScamWise", "username": BOT_USERNAME}
USER_ID = 424242

TOO_MANY = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1}}  # fmt: skip


@dataclass
class Call:
    """One Bot API call: method name, parameters, and uploaded files by field name."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    result: Any = None  # what the fake answered (e.g. the sent Message as JSON)


class OfflineRequest(BaseRequest):
    """A Bot API that answers locally; `fail_next` injects 429s, 5xx and network errors."""

    def __init__(self, keep_calls: bool = True) -> None:
        self.calls: list[Call] = []
        self.keep_calls = keep_calls  # a long benchmark need not keep every call
        self._failures: dict[str, deque[tuple[str, str]]] = {}
        self._next_message_id = 1000
        self._next_poll_id = 5_300_000_000_000_000_000  # Telegram poll ids are numeric strings
        self._waiters: dict[int, deque[asyncio.Future[Call]]] = {}
        self.files: dict[str, bytes] = {}  # file_id -> bytes served by getFile and download

    def add_file(self, file_id: str, data: bytes) -> None:
        """Serve `data` as the file `file_id` (a photo a user sent, for example)."""
        self.files[file_id] = data

    def wait_for(self, chat_id: int) -> asyncio.Future[Call]:
        """A future resolved by the next sendMessage/sendPhoto to `chat_id`."""
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(chat_id, deque()).append(future)
        return future

    def _notify(self, call: Call) -> None:
        if call.method not in {"sendMessage", "sendPhoto"}:
            return
        waiters = self._waiters.get(int(call.params.get("chat_id", 0)))
        while waiters:
            future = waiters.popleft()
            if not future.done():
                future.set_result(call)
                return

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def fail_next(self, method: str, kind: str = "429", times: int = 1, why: str = "") -> None:
        """The next `times` calls of `method` fail: "429", "network", "timeout" or a status."""
        self._failures.setdefault(method, deque()).extend([(kind, why)] * times)

    def of(self, method: str) -> list[Call]:
        """The recorded calls of one method."""
        return [c for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        """Every HTML text sent or edited, in order."""
        return [c.params["text"] for c in self.calls if c.method in TEXT_METHODS]

    def clear(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:  # a file download (File.download_*): the bytes themselves
            file_id = url.rsplit("/", 1)[-1]
            self.calls.append(Call("downloadFile", {"file_id": file_id}))
            if file_id not in self.files:
                return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'
            return 200, self.files[file_id]
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        call = Call(api_method, params, _files(request_data))
        if self.keep_calls:
            self.calls.append(call)
        failure = self._pop_failure(api_method)
        if failure is not None:
            return self._fail(*failure)
        call.result = self._result(api_method, params)
        self._notify(call)
        return 200, json.dumps({"ok": True, "result": call.result}).encode()

    def _pop_failure(self, method: str) -> tuple[str, str] | None:
        queue = self._failures.get(method)
        return queue.popleft() if queue else None

    @staticmethod
    def _fail(kind: str, why: str) -> tuple[int, bytes]:
        if kind == "network":
            raise NetworkError(why or "fake: connection reset by peer")
        if kind == "timeout":
            raise TimedOut(why or "fake: read timed out")
        if kind == "429":
            return 429, json.dumps(TOO_MANY).encode()
        body = {"ok": False, "error_code": int(kind), "description": why or "Bad Gateway"}
        return int(kind), json.dumps(body).encode()

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": True,
            }
        if method == "getUpdates":
            return []
        if method in {"sendMessage", "editMessageText"}:
            return self._message(params, text=params.get("text", ""))
        if method == "sendPhoto":
            sizes = [
                {"file_id": f"ph{n}", "file_unique_id": f"u{n}", "width": w, "height": w}
                for n, w in enumerate((90, 320, 800))
            ]
            return self._message(params, photo=sizes, caption=params.get("caption"))
        if method == "sendPoll":
            return self._message(params, poll=self._poll(params))
        if method == "getFile":
            file_id = str(params.get("file_id", ""))
            data = self.files.get(file_id, b"")
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                    "file_size": len(data), "file_path": f"photos/{file_id}"}  # fmt: skip
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True  # answerCallbackQuery, answerInlineQuery, setWebhook, setMyCommands, ...

    def _poll(self, params: dict[str, Any]) -> dict[str, Any]:
        """The Poll object of a new poll, with every field PTB 22.8 requires."""
        self._next_poll_id += 1
        poll_id = str(self._next_poll_id)
        options = [
            {"text": o["text"] if isinstance(o, dict) else str(o), "voter_count": 0,
             "persistent_id": f"{poll_id}-{n}"}
            for n, o in enumerate(params.get("options", []))
        ]  # fmt: skip
        poll: dict[str, Any] = {
            "id": poll_id,
            "question": params.get("question", ""),
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed", False)),
            "is_anonymous": params.get("is_anonymous", True) is not False,
            "type": params.get("type") or "regular",
            "allows_multiple_answers": bool(params.get("allows_multiple_answers", False)),
            # Bot API 9.6: quizzes default to no revoting, regular polls to revoting.
            "allows_revoting": bool(params.get("allows_revoting", params.get("type") != "quiz")),
            "members_only": bool(params.get("members_only", False)),
        }
        optional = ("correct_option_ids", "explanation", "open_period", "close_date")
        poll.update({k: params[k] for k in optional if params.get(k) is not None})
        return poll

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message_id = params.get("message_id")
        if message_id is None:
            self._next_message_id += 1
            message_id = self._next_message_id
        chat_id = int(params.get("chat_id", USER_ID))
        message = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v is not None},
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message


TEXT_METHODS = frozenset({"sendMessage", "editMessageText"})


def _files(request_data: RequestData | None) -> dict[str, bytes]:
    if request_data is None or not request_data.contains_files:
        return {}
    parts = request_data.multipart_data.items()
    return {name: c if isinstance(c, bytes) else c.read() for name, (_, c, *_) in parts}


def chat(chat_id: int) -> dict[str, Any]:
    """A chat object: private for positive ids, a supergroup for negative ones."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Mei"}
    return {"id": chat_id, "type": "supergroup", "title": "Family chat"}


def callback_update(
    update_id: int, user_id: int, message_id: int, data: str, query_id: str | None = None
) -> dict:
    """Update JSON of a press on the button with callback `data` under the bot's message."""
    pressed = {"message_id": message_id, "from": BOT_USER, "chat": chat(user_id),
               "date": int(time.time()), "text": "…"}  # fmt: skip
    sender = {"id": user_id, "is_bot": False, "first_name": "Tester"}
    query = {"id": query_id or f"cq{update_id}", "from": sender, "chat_instance": "ci",
             "message": pressed, "data": data}  # fmt: skip
    return {"update_id": update_id, "callback_query": query}


def private_update(update_id: int, user_id: int, text: str, first_name: str = "Tester") -> dict:
    """Update JSON of a private text message (a command when it starts with "/")."""
    message: dict[str, Any] = {
        "message_id": update_id,
        "from": {"id": user_id, "is_bot": False, "first_name": first_name},
        "chat": {"id": user_id, "type": "private", "first_name": first_name},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split(" ", 1)[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}
