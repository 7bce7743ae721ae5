"""Webhook mode: a small tornado server for Telegram's POSTs, with a /healthz endpoint.

PTB's own webhook server serves only the Telegram path, so ScamWise runs its own: requests to
the webhook path must carry the secret in `X-Telegram-Bot-Api-Secret-Token` (Telegram sends
the one we registered with setWebhook) or get 403 before anything is parsed; `/healthz`
answers GET with the bot's state for load balancers and uptime checks.

A body that is not an update object (`null`, a list, a string, deep nesting, no integer
`update_id`) gets 400 and one warning line, never a traceback; a body over 1 MiB gets 413.
Telegram re-delivers an update when our 200 came late, and behind a proxy the re-delivery
may reach another replica: each update is claimed in the database (`Store.claim_update`,
an insert-or-ignore on its `update_id`, remembered a day), handled, marked done, and only
then acknowledged with 200, so whichever replica gets it, it is handled once, and an update
whose replica died while handling it is delivered again and handled by another (after the
claim's lease). A delivery of a finished update is acknowledged and skipped; one that
arrives while another replica handles it, or when the database cannot record the claim,
gets 503, and Telegram delivers it again later. An update missing what every handler relies
on (a message without its chat, a button press without its sender) is acknowledged and
skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import time
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.settings import Settings
from bot.storage.store import UPDATE_RENEW_S, Claim, StorageError
from bot.telegram.handlers import SERVICES

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # Telegram updates are small; refuse anything larger (413)
_MESSAGE_FIELDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)
# Each part and the field naming who sent it ("" when it may be absent: anonymous poll votes).
_SENDER_FIELDS = {
    "callback_query": "from",
    "inline_query": "from",
    "chosen_inline_result": "from",
    "poll_answer": "",
}


def update_data(body: bytes) -> dict[str, Any] | None:
    """The body as an update object, or None when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # deep nesting exhausts the parser's recursion
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    return data


def missing_parts(data: dict[str, Any]) -> str | None:
    """What a handler would need but the update lacks (None when it is complete)."""
    for name in _MESSAGE_FIELDS:
        message = data.get(name)
        if message is not None and (
            not isinstance(message, dict)
            or not isinstance(message.get("chat"), dict)
            or not isinstance(message["chat"].get("id"), int)
        ):
            return f"{name} without its chat"
    for name, sender in _SENDER_FIELDS.items():
        part = data.get(name)
        if part is None:
            continue
        if not isinstance(part, dict):
            return f"{name} that is not an object"
        if sender and not isinstance(part.get(sender), dict):
            return f"{name} without its sender"
    return None


@tornado.web.stream_request_body
class UpdateHandler(tornado.web.RequestHandler):
    """POST <webhook path>: check the secret, queue the update, answer 200 at once."""

    def initialize(self, bot_app: Any, secret: str, in_flight: set[int]) -> None:
        self.bot_app = bot_app
        self.secret = secret
        self.in_flight = in_flight  # update ids being handled here (their claims are renewed)
        self.body = bytearray()

    def prepare(self) -> None:
        """Refuse a wrong secret (403) or an oversized body (413) before reading the body."""
        if self.request.method != "POST":
            return
        sent = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret header refused")
            raise tornado.web.HTTPError(403)
        length = self.request.headers.get("Content-Length", "0")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            log.warning("webhook request of %s bytes refused (413)", length)
            raise tornado.web.HTTPError(413)

    def data_received(self, chunk: bytes) -> None:
        """Collect the body, refusing it once it grows past MAX_BODY_BYTES."""
        self.body += chunk
        if len(self.body) > MAX_BODY_BYTES:
            raise tornado.web.HTTPError(413)

    async def post(self) -> None:
        """Accept one update from Telegram."""
        data = update_data(bytes(self.body))
        if data is None:
            log.warning("webhook request whose body is not an update object refused (400)")
            raise tornado.web.HTTPError(400)
        update_id = data["update_id"]
        missing = missing_parts(data)
        try:
            update = None if missing else Update.de_json(data, self.bot_app.bot)
        except Exception as exc:  # any shape PTB cannot read: the same as an unreadable body
            log.warning("webhook update %s unreadable (%s): refused", update_id, exc)
            raise tornado.web.HTTPError(400) from None
        if update is None:
            log.warning("webhook update %s skipped: %s", update_id, missing)
            self.set_status(200)
            return
        store = self.bot_app.bot_data[SERVICES].store
        try:
            claim = await store.claim_update(update_id)
        except StorageError as exc:  # Telegram retries a 5xx later: nothing is lost
            log.warning(
                "webhook update %s not claimed (%s): 503, to be re-delivered", update_id, exc
            )
            raise tornado.web.HTTPError(503) from None
        if claim is Claim.DONE:
            log.info("update %s delivered again: answered once already", update_id)
            self.set_status(200)
            return
        if claim is Claim.BUSY:  # another replica is on it; if it dies, its lease runs out
            log.info("update %s is being handled by another replica: 503 for now", update_id)
            raise tornado.web.HTTPError(503)
        # Handled before the 200: a replica killed meanwhile never acknowledged the update,
        # so Telegram (or the proxy) delivers it again and another replica handles it. The
        # update processor's semaphore keeps SCAMWISE_CONCURRENT_UPDATES as with the queue.
        app = self.bot_app
        self.in_flight.add(update_id)  # its claim is renewed while it is handled
        try:
            await app.update_processor.process_update(update, app.process_update(update))
        except BaseException:
            await store.release_update(update_id)  # not handled: let the re-delivery in
            raise
        finally:
            self.in_flight.discard(update_id)
        try:
            await store.finish_update(update_id)
        except StorageError as exc:  # handled: a re-delivery after the lease repeats it
            log.warning("webhook update %s handled but not marked done: %s", update_id, exc)
        self.set_status(200)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """HTTPErrors are logged above in one line; anything else without the body."""
        if isinstance(value, tornado.web.HTTPError):
            return
        log.error("webhook request failed: %s", value)


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 with a small JSON status while the bot is serving."""

    def initialize(self, bot_app: Any, started: float) -> None:
        self.bot_app = bot_app
        self.started = started

    async def get(self) -> None:
        """Report whether the bot is running, what it serves and whether its database answers.

        503 while starting, and when the database does not answer `SELECT 1` within
        PING_TIMEOUT_S (a load balancer then sends traffic to another replica).
        """
        services = self.bot_app.bot_data.get(SERVICES)
        running = bool(self.bot_app.running) and services is not None
        body: dict[str, Any] = {"status": "ok" if running else "starting"}
        body["uptime_s"] = round(time.monotonic() - self.started, 1)
        body["entries"] = 0
        if services is not None:
            body["entries"] = len(services.retriever.kb.entries)
            try:
                await services.store.ping()
                body["database"] = "ok"
            except StorageError as exc:  # the details go to the log, not to whoever asks
                log.warning("/healthz: %s", exc)
                body["status"], body["database"] = "database unreachable", "unreachable"
                running = False
            body["jobs"] = "leader" if services.runs_jobs else "standby"
        self.set_status(200 if running else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


def make_server(
    application: Any, path: str, secret: str, in_flight: set[int] | None = None
) -> tornado.httpserver.HTTPServer:
    """The HTTP server with the webhook path and /healthz."""
    hook = {"bot_app": application, "secret": secret, "in_flight": in_flight or set()}
    routes = [
        (rf"/{path}/?", UpdateHandler, hook),
        (r"/healthz", HealthHandler, {"bot_app": application, "started": time.monotonic()}),
    ]
    app = tornado.web.Application(routes)
    # The handler answers 413 itself; the server's cap only stops absurd uploads.
    return tornado.httpserver.HTTPServer(app, max_body_size=16 * MAX_BODY_BYTES, xheaders=True)


async def renew_claims(application: Any, in_flight: set[int]) -> None:
    """Every UPDATE_RENEW_S, extend the claims of the updates this replica is handling."""
    while True:
        await asyncio.sleep(UPDATE_RENEW_S)
        services = application.bot_data.get(SERVICES)
        if services is None or not in_flight:
            continue
        try:
            await services.store.renew_claims(sorted(in_flight))
        except StorageError as exc:  # the claims may lapse: a re-delivery repeats the update
            log.warning("could not renew the claims of %d updates: %s", len(in_flight), exc)


async def serve_webhook(application: Any, settings: Settings, path: str, secret: str) -> None:
    """Start the bot, register the webhook, serve until SIGINT/SIGTERM, then shut down."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with running_webhook(application, settings, path, secret):
        await stop.wait()


async def initialize_with_retries(application: Any, retries: int) -> None:
    """`initialize()` (getMe), retried with backoff while Telegram cannot be reached."""
    for attempt in range(retries + 1):
        try:
            await application.initialize()
            return
        except InvalidToken:
            raise
        except NetworkError as exc:
            if attempt == retries:
                raise
            delay = min(2.0**attempt, 30.0)
            log.warning("cannot reach Telegram (%s); retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)


@contextlib.asynccontextmanager
async def running_webhook(application: Any, settings: Settings, path: str, secret: str) -> Any:
    """The application started with its webhook server listening; all closed on exit."""
    await initialize_with_retries(application, settings.bootstrap_retries)
    if application.post_init:
        await application.post_init(application)
    await application.start()
    in_flight: set[int] = set()
    server = make_server(application, path, secret, in_flight)
    server.listen(settings.webhook_port, address=settings.webhook_listen)
    renewing = asyncio.create_task(renew_claims(application, in_flight), name="claims")
    try:
        await application.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        log.info(
            "webhook server listening on %s:%s", settings.webhook_listen, settings.webhook_port
        )
        yield server
    finally:
        server.stop()
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
