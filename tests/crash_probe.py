"""Crash-recovery probe: the real ScamWise Application on the offline Bot API, fed from stdin.

    TELEGRAM_BOT_TOKEN=<bot.telegram.offline.TOKEN> SCAMWISE_DATABASE_URL=sqlite+aiosqlite:///…
    SCAMWISE_KNOWLEDGE_DIR=… SCAMWISE_INDEX_DIR=… python tests/crash_probe.py

Test support, not product code. Settings come from the environment as for `python -m bot run`;
only the Bot API is replaced by `OfflineRequest`, so no network is used. Protocol, one JSON
object per line, stdout flushed after each:

- `{"ready": true}` once the application is started (Services opened, model warmed up);
- for each update read from stdin (one Telegram update dict per line):
  `{"received": <update_id>}` as soon as the line is read, before it is fed, then
  `{"update_id": <id>, "calls": [{"method", "text", "buttons", "message_id"}, …]}` once every
  handler for it has finished, i.e. after the reply was sent (for a button press: after
  answerCallbackQuery and the edit). This second line is the acknowledgement: whatever it
  reports has been committed to the database.

Updates are fed through `application.update_queue`, exactly as the poller would; completion is
seen by a `TypeHandler` in a group after all of the product's handlers. EOF on stdin stops the
application cleanly (exit code 0). Errors are logged to stderr.

To kill the bot at an exact point, set CRASH_PROBE_STALL to `sql:<text>` (after the first SQL
statement containing <text> has run, inside its transaction) or `api:<method>` (when the bot
first calls that Bot API method): there the probe prints `{"stalled": "<point>"}` and freezes
for good, waiting for the parent's SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import ContextTypes, TypeHandler  # noqa: E402

from bot.errors import ScamWiseError  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from bot.telegram.offline import Call, OfflineRequest  # noqa: E402

DONE_GROUP = 1_000_000  # handler groups run in order: this one runs after the product's
UPDATE_TIMEOUT_S = 120.0
STALL = os.environ.get("CRASH_PROBE_STALL", "")


def emit(obj: dict[str, Any]) -> None:
    """Print one JSON line and flush it, so the parent sees it at once."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def stall() -> None:
    """Say where the probe stopped, then block the whole process until it is killed."""
    emit({"stalled": STALL})
    while True:
        time.sleep(3600)


class StallingRequest(OfflineRequest):
    """The offline Bot API, freezing on the method named by CRASH_PROBE_STALL=api:<method>."""

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        point = "api:" + url.rsplit("/", 1)[-1]
        if point == STALL:
            stall()
        return await super().do_request(url, method, *args, **kwargs)


def stall_on_sql(application: Any) -> None:
    """Freeze after the first statement containing the text of CRASH_PROBE_STALL=sql:<text>."""
    import sqlalchemy as sa

    text = STALL.removeprefix("sql:")
    engine = application.bot_data["services"].store.engine.sync_engine

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if text in statement:
            stall()

    sa.event.listen(engine, "after_cursor_execute", after)


def describe(call: Call) -> dict[str, Any]:
    """What the bot sent in one Bot API call."""
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    buttons = [
        b["callback_data"]
        for row in markup.get("inline_keyboard", [])
        for b in row
        if "callback_data" in b
    ]
    result = call.result if isinstance(call.result, dict) else {}
    return {
        "method": call.method,
        "text": call.params.get("text") or call.params.get("caption"),
        "buttons": buttons,
        "message_id": result.get("message_id"),
    }


async def run() -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    request = StallingRequest()
    application = build_application(settings, request, request)
    loop = asyncio.get_running_loop()
    pending: dict[int, asyncio.Future[None]] = {}

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        future = pending.get(update.update_id)
        if future is not None and not future.done():
            future.set_result(None)

    application.add_handler(TypeHandler(Update, done), group=DONE_GROUP)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    if STALL.startswith("sql:"):
        stall_on_sql(application)
    emit({"ready": True})
    try:
        # A thread reads stdin, so that it may be a pipe, a file or a terminal.
        while line := await asyncio.to_thread(sys.stdin.readline):
            if not line.strip():
                continue
            update = Update.de_json(json.loads(line), application.bot)
            emit({"received": update.update_id})
            future: asyncio.Future[None] = loop.create_future()
            pending[update.update_id] = future
            before = len(request.calls)
            await application.update_queue.put(update)
            await asyncio.wait_for(future, UPDATE_TIMEOUT_S)
            del pending[update.update_id]
            calls = [describe(c) for c in request.calls[before:]]
            emit({"update_id": update.update_id, "calls": calls})
    finally:
        await application.stop()
        if application.post_shutdown:
            await application.post_shutdown(application)
        await application.shutdown()
    return 0


def main() -> int:
    """Run until stdin ends; a ScamWise error at start-up is one line, like the CLI's."""
    try:
        return asyncio.run(run())
    except ScamWiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
