"""Run the Telegram bot: long polling by default, a webhook server when a URL is configured.

SIGHUP (`kill -HUP <pid>`) reloads knowledge and index like an admin's /reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlparse

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.errors import ScamWiseError, SettingsError
from bot.health import beat_forever
from bot.settings import Settings
from bot.telegram.app import Hook, TelegramApp, build_application
from bot.telegram.handlers import SERVICES
from bot.telegram.redact import guard_stderr, install_redaction, redact
from bot.telegram.webhook import serve_webhook

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TOKEN_REJECTED = (
    "Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): it is mistyped or was revoked. "
    "Create a new one or check it with @BotFather (/mybots → API Token)."
)


class TelegramStartError(ScamWiseError):
    """The bot could not start talking to Telegram (token refused, server unreachable)."""


def webhook_path(url: str) -> str:
    """The path the webhook server listens on: the path of the public URL, without "/"."""
    return urlparse(url).path.strip("/")


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send with each webhook call; required in webhook mode."""
    if settings.webhook_secret is None:
        raise SettingsError(
            "SCAMWISE_WEBHOOK_SECRET must be set when SCAMWISE_WEBHOOK_URL is: without it "
            "anyone who finds the URL could post fake updates (use 1-256 of A-Z a-z 0-9 _ -)"
        )
    return settings.webhook_secret.get_secret_value()


def run_telegram(settings: Settings) -> None:
    """Serve the bot until interrupted (Ctrl-C, SIGTERM); start-up failures are one line."""
    secret = webhook_secret(settings) if settings.webhook_url else None
    # Before anything can print: the token is in every Bot API URL and in PTB's InvalidToken.
    install_redaction(settings.bot_token(), secret)
    guard_stderr()
    logging.basicConfig(format=LOG_FORMAT, level=settings.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_start_up_filter)
    application = build_application(settings)
    application.post_init = with_sighup_reload(application.post_init)
    application.post_init = with_heartbeat(application.post_init, settings)
    application.post_stop = then_stop_heartbeat(application.post_stop)
    try:
        _serve(application, settings, secret)
    except InvalidToken:
        raise TelegramStartError(TOKEN_REJECTED) from None
    except NetworkError as exc:  # still unreachable after the bootstrap retries
        raise TelegramStartError(
            f"cannot reach Telegram at {redact(settings.telegram_api_url)} after "
            f"{settings.bootstrap_retries} retries ({redact(str(exc))}): check the network, "
            "a proxy or SCAMWISE_TELEGRAM_API_URL, then start again"
        ) from None


def _start_up_filter(record: logging.LogRecord) -> bool:
    """PTB's start-up failures without their tracebacks: run_telegram says it in one line.

    A rejected token is left to TOKEN_REJECTED entirely; a network error keeps PTB's line.
    """
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, InvalidToken):
        return False
    if isinstance(error, NetworkError) and "Bootstrap" in record.getMessage():
        record.exc_info, record.exc_text = None, None
    return True


def _serve(application: TelegramApp, settings: Settings, secret: str | None) -> None:
    """Long polling, or the webhook server when a URL is configured."""
    if settings.webhook_url and secret:
        where = f"{settings.webhook_listen}:{settings.webhook_port}"
        log.info("starting the webhook server on %s", where)
        asyncio.run(
            serve_webhook(application, settings, webhook_path(settings.webhook_url), secret)
        )
    else:
        log.info("starting long polling")
        application.run_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            # Telegram unreachable at start (network not up yet): retry, then one clear line.
            bootstrap_retries=settings.bootstrap_retries,
        )


def with_sighup_reload(post_init: Hook | None) -> Hook:
    """post_init that also makes SIGHUP reload the Services on the running loop."""

    async def hook(application: TelegramApp) -> None:
        if post_init is not None:
            await post_init(application)
        loop = asyncio.get_running_loop()
        # Not on Windows, and not outside the main thread: then /reload is the only way.
        with contextlib.suppress(AttributeError, NotImplementedError, RuntimeError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: application.create_task(sighup_reload(application))
            )

    return hook


HEARTBEAT_TASK = "heartbeat-task"


def with_heartbeat(post_init: Hook | None, settings: Settings) -> Hook:
    """post_init that also starts touching the heartbeat file for `python -m bot health`."""

    async def hook(application: TelegramApp) -> None:
        if post_init is not None:
            await post_init(application)
        # A plain task, not application.create_task: PTB awaits its own tasks at shutdown,
        # and this one never ends by itself.
        task = asyncio.create_task(beat_forever(settings.heartbeat_file), name="heartbeat")
        application.bot_data[HEARTBEAT_TASK] = task

    return hook


def then_stop_heartbeat(post_stop: Hook | None) -> Hook:
    """post_stop that runs the application's own post_stop, then stops the heartbeat."""

    async def hook(application: TelegramApp) -> None:
        try:
            if post_stop is not None:
                await post_stop(application)
        finally:
            await stop_heartbeat(application)

    return hook


async def stop_heartbeat(application: TelegramApp) -> None:
    """Stop the heartbeat so the healthcheck fails once the bot has stopped."""
    task = application.bot_data.pop(HEARTBEAT_TASK, None)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def sighup_reload(application: TelegramApp) -> str:
    """Reload like /reload and log the outcome."""
    services = application.bot_data.get(SERVICES)
    if services is None:
        return "not started"
    message: str = await services.reload()
    log.info("SIGHUP: %s", message)
    return message
