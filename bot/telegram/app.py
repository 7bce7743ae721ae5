"""Build the python-telegram-bot `Application` that serves ScamWise.

Each call builds an independent application with its own handlers, rate limiter, group quiz
runs and Services (opened in post_init, closed in post_shutdown), so a process can hold several.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.app import PRUNE_INTERVAL_S, open_services
from bot.conversation import texts
from bot.errors import SettingsError
from bot.i18n import _, speaking
from bot.search.embedder import Embedder
from bot.settings import Settings, load_settings
from bot.telegram.group_quiz import ADOPT_EVERY_S, GROUP_QUIZZES, GroupQuizzes, group_quizzes_of
from bot.telegram.handlers import SERVICES, add_handlers
from bot.telegram.redact import install_redaction
from bot.telegram.retry import RetryingRateLimiter

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
Hook = Callable[[TelegramApp], Coroutine[Any, Any, None]]

# A 429 answer carries `retry_after`; the rate limiter waits that long and tries again, up to
# this many times, before the error reaches the handler.
MAX_RETRIES = 3


def build_application(
    settings: Settings | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    *,
    embedder: Embedder | None = None,
) -> TelegramApp:
    """A ready-to-run Application; settings come from the environment when not given."""
    settings = settings if settings is not None else load_settings()
    token = settings.bot_token()
    if not token:
        raise SettingsError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and put its token in "
            "TELEGRAM_BOT_TOKEN (or a file named by TELEGRAM_BOT_TOKEN_FILE)"
        )
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    # Before build(): PTB logs the Bot API URL, token included, while building the bot.
    install_redaction(token, secret)
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .rate_limiter(
            RetryingRateLimiter(
                overall_max_rate=settings.telegram_max_rate, max_retries=MAX_RETRIES
            )
        )
        # Handle updates concurrently so that questions from many users meet in one batch.
        .concurrent_updates(settings.concurrent_updates)
        .post_init(_post_init(settings, embedder))
        # post_stop cancels group quizzes while the bot still works (run_polling calls it).
        .post_stop(_stop_group_quizzes)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    application: TelegramApp = builder.build()
    application.bot_data[GROUP_QUIZZES] = GroupQuizzes(settings.group_quiz_seconds)
    add_handlers(application)
    return application


def file_url(api_url: str) -> str:
    """The file download URL that goes with a Bot API URL (…/bot → …/file/bot)."""
    head, sep, tail = api_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if sep else api_url


def _post_init(settings: Settings, embedder: Embedder | None) -> Hook:
    async def post_init(application: TelegramApp) -> None:
        """Open the Services once, then publish the command menu."""
        if SERVICES not in application.bot_data:
            application.bot_data[SERVICES] = await open_services(settings, embedder)
        # initialize() has called getMe: quiz and class links name the real bot from now on.
        application.bot_data[SERVICES].conversation.bot_username = application.bot.username
        jobs = application.job_queue  # APScheduler, from python-telegram-bot[job-queue]
        if jobs is not None and not jobs.get_jobs_by_name(PRUNE_JOB):
            jobs.run_repeating(
                prune_job, interval=PRUNE_INTERVAL_S, first=PRUNE_INTERVAL_S, name=PRUNE_JOB
            )
        if jobs is not None and not jobs.get_jobs_by_name(ADOPT_JOB):
            jobs.run_repeating(adopt_job, interval=ADOPT_EVERY_S, name=ADOPT_JOB)
        await _set_commands(application)

    return post_init


PRUNE_JOB = "retention"
ADOPT_JOB = "group-quiz-takeover"


async def adopt_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """On the replica that runs the timed jobs: carry on group quizzes whose replica stopped."""
    services = context.bot_data.get(SERVICES)
    if services is None or not services.runs_jobs:
        return
    try:
        await group_quizzes_of(context.bot_data).adopt(context.bot, services.conversation)
    except Exception as exc:  # the next round tries again
        log.warning("could not look for group quizzes to carry on: %s", exc)


async def prune_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Once a day: delete what the privacy text promises to delete after the retention time."""
    services = context.bot_data.get(SERVICES)
    if services is None:
        return
    try:
        await services.prune()
    except Exception:  # retried tomorrow; a job must not take the bot down
        log.exception("retention: could not delete old rows; trying again tomorrow")


async def _stop_group_quizzes(application: TelegramApp) -> None:
    """Cancel unfinished group quiz runs, so that stopping never waits for a quiz to end."""
    quizzes = application.bot_data.get(GROUP_QUIZZES)
    if isinstance(quizzes, GroupQuizzes):
        await quizzes.aclose()


async def _post_shutdown(application: TelegramApp) -> None:
    """Cancel group quiz runs (if post_stop did not), then close the Services."""
    await _stop_group_quizzes(application)
    services = application.bot_data.pop(SERVICES, None)
    if services is not None:
        await services.aclose()


# The "/" menu per app language: Telegram shows the list whose language_code (ISO 639-1, so
# one list for every Chinese) matches the user's app, and the default list to everyone else.
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, "en"), ("zh", "zh-Hans"))


async def _set_commands(application: TelegramApp) -> None:
    """The "/" menu in Telegram clients; failing to set it must not stop the bot."""
    for language_code, lang in MENU_LANGUAGES:
        with speaking(lang):
            commands = [
                BotCommand(cmd.lstrip("/"), _(what)[:256]) for cmd, what in texts.HELP_LINES
            ]
        try:
            await application.bot.set_my_commands(commands, language_code=language_code)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s): %s", lang, exc)
