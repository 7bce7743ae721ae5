"""Webhook mode: a small tornado server for Telegram's POSTs, with a /healthz endpoint.

PTB's own webhook server serves only the Telegram path, so ScamWise runs its own: requests to
the webhook path must carry the secret in `X-Telegram-Bot-Api-Secret-Token` (Telegram sends
the one we registered with setWebhook) or get 403 before anything is parsed; `/healthz`
answers GET with the bot's state for load balancers and uptime checks.
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
from bot.telegram.handlers import SERVICES

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # Telegram updates are small; refuse anything larger


class UpdateHandler(tornado.web.RequestHandler):
    """POST <webhook path>: check the secret, queue the update, answer 200 at once."""

    def initialize(self, bot_app: Any, secret: str) -> None:
        self.bot_app = bot_app
        self.secret = secret

    async def post(self) -> None:
        """Accept one update from Telegram."""
        sent = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), self.secret.encode()):
            log.warning("webhook request without the right secret header refused")
            raise tornado.web.HTTPError(403)
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.bot_app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request with an unreadable update: %s", exc)
            raise tornado.web.HTTPError(400) from None
        await self.bot_app.update_queue.put(update)
        self.set_status(200)


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 with a small JSON status while the bot is serving."""

    def initialize(self, bot_app: Any, started: float) -> None:
        self.bot_app = bot_app
        self.started = started

    def get(self) -> None:
        """Report whether the bot is running and what it serves."""
        services = self.bot_app.bot_data.get(SERVICES)
        running = bool(self.bot_app.running) and services is not None
        body = {"status": "ok" if running else "starting", "uptime_s": 0.0, "entries": 0}
        body["uptime_s"] = round(time.monotonic() - self.started, 1)
        if services is not None:
            body["entries"] = len(services.retriever.kb.entries)
        self.set_status(200 if running else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


def make_server(application: Any, path: str, secret: str) -> tornado.httpserver.HTTPServer:
    """The HTTP server with the webhook path and /healthz."""
    routes = [
        (rf"/{path}/?", UpdateHandler, {"bot_app": application, "secret": secret}),
        (r"/healthz", HealthHandler, {"bot_app": application, "started": time.monotonic()}),
    ]
    app = tornado.web.Application(routes)
    return tornado.httpserver.HTTPServer(app, max_body_size=MAX_BODY_BYTES, xheaders=True)


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
    server = make_server(application, path, secret)
    server.listen(settings.webhook_port, address=settings.webhook_listen)
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
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
