"""Telegram update handlers: each turns one kind of update into a call on the conversation core.

Private chats get an answer to everything. In groups the bot only speaks when spoken to: a
command (bare or `/cmd@ThisBot`), a message that @mentions it, or a reply to one of its own
messages. Edited messages and channel posts match no handler, so they cost no Bot API call.
In groups `/quiz <id>` runs the quiz as polls (bot.telegram.group_quiz), and the class commands
only point to a private chat: class codes and results are for the educator's eyes.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import cast

from telegram import Bot, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    PollHandler,
    filters,
)

from bot.app import Services
from bot.conversation import texts, views
from bot.conversation.core import Conversation
from bot.conversation.replies import Reply, Who
from bot.i18n import _
from bot.telegram import render
from bot.telegram.group_quiz import group_quizzes_of, private_only_reply

log = logging.getLogger(__name__)

SERVICES = "services"  # key of the opened Services in application.bot_data
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
QUIZ_COMMANDS = ("quiz", "newclass", "results", "classes", "closeclass")
CORE_COMMANDS = (
    "help", "topics", "tips", "tip", "report", "region", "language", "privacy", "forgetme",
    *QUIZ_COMMANDS,
)  # fmt: skip
# Educator commands answered in private chats only; in a group they point to a private chat.
PRIVATE_ONLY = frozenset(QUIZ_COMMANDS) - {"quiz"}
INLINE_CACHE_S = 30

# Only brand-new messages: `filters.UpdateType.MESSAGES` would also let edits through, and an
# edited question must not be answered twice.
NEW_MESSAGE = filters.UpdateType.MESSAGE
UNSUPPORTED = (
    filters.Sticker.ALL
    | filters.PHOTO
    | filters.VOICE
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.AUDIO
    | filters.Document.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.ANIMATION
    | filters.POLL
)

Produce = Callable[[Conversation, Who], Awaitable[list[Reply]]]


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The Services opened in post_init."""
    return cast(Services, context.bot_data[SERVICES])


def who_of(update: Update) -> Who:
    """The sender and chat of an update, as the core knows them."""
    user, chat = update.effective_user, update.effective_chat
    user_id = user.id if user else chat.id if chat else 0
    return Who(
        user_id=user_id,
        chat_id=chat.id if chat else user_id,
        group=chat is not None and chat.type in GROUP_TYPES,
        first_name=user.first_name if user else "",
        language_code=(user.language_code or "") if user else "",
    )


def addressed(message: Message, bot: Bot) -> bool:
    """Whether the bot should answer: always in private, in groups only when spoken to."""
    if message.chat.type not in GROUP_TYPES:
        return message.chat.type == ChatType.PRIVATE
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    mention = f"@{bot.username}".casefold()
    found = [
        *message.parse_entities([MessageEntity.MENTION]).values(),
        *message.parse_caption_entities([MessageEntity.MENTION]).values(),
    ]
    return any(text.casefold() == mention for text in found)


def strip_mention(text: str, bot: Bot) -> str:
    """The text without "@ThisBot", so the mention does not sway the search."""
    return re.sub(rf"@{re.escape(bot.username)}\b", " ", text, flags=re.IGNORECASE).strip()


def command_parts(message: Message) -> tuple[str, str, str]:
    """(command, bot it is addressed to or "", arguments) of a message starting with /cmd."""
    text = message.text or ""
    head = message.parse_entity(message.entities[0])[1:] if message.entities else ""
    name, _, target = head.partition("@")
    return name.lower(), target, text[len(head) + 1 :].strip()


async def respond(update: Update, context: ContextTypes.DEFAULT_TYPE, produce: Produce) -> None:
    """Apply the flood limit, ask the core for replies and send them."""
    conversation = services_of(context).conversation
    who = who_of(update)
    replies = conversation.admit(who)
    if replies is None:
        replies = await produce(conversation, who)
    message = update.effective_message
    # In a busy group, quote the question so everyone sees what the answer belongs to.
    quote = message.message_id if who.group and message is not None else None
    await render.send_replies(context.bot, who.chat_id, replies, quote=quote)


# --- commands -------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the welcome, or the entry named by a deep link (t.me/ThisBot?start=topic-<id>)."""
    payload = " ".join(context.args or [])  # unknown or malformed payloads get the welcome
    await respond(update, context, lambda c, who: c.on_command(who, "start", payload))


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pass a core command (/help, /topics, /quiz, /results, …) with its arguments to the core."""
    message = update.effective_message
    if message is None:
        return
    name, _, args = command_parts(message)
    if message.chat.type in GROUP_TYPES and name in PRIVATE_ONLY:
        username = context.bot.username
        await respond(
            update, context, lambda c, who: c.say(who, lambda: [private_only_reply(username)])
        )
        return
    if message.chat.type in GROUP_TYPES and name == "quiz" and args:
        quizzes = group_quizzes_of(context.bot_data)
        quiz_id, bot, quote = args.split()[0], context.bot, message.message_id
        here = context.bot_data[SERVICES].runs_jobs  # the jobs' replica times the polls
        await respond(
            update, context, lambda c, who: quizzes.start(bot, c, who, quiz_id, quote, here)
        )
        return
    await respond(update, context, lambda c, who: c.on_command(who, name, args))


async def other_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer an unknown command with the help, unless it is meant for another bot."""
    message = update.effective_message
    if message is None:
        return
    name, target, args = command_parts(message)
    if target and target.casefold() != context.bot.username.casefold():
        return  # /help@OtherBot: not ours
    if message.chat.type != ChatType.PRIVATE and not target:
        return  # a bare unknown /cmd in a group is most likely for another bot
    await respond(update, context, lambda c, who: c.on_command(who, name, args))


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-read knowledge and index (admins only; for anyone else, an unknown command)."""
    services = services_of(context)
    if who_of(update).user_id not in services.settings.admin_ids:
        # Exactly what any unknown command gets (the help, or silence in a group), so that
        # nobody can tell that the command exists.
        await other_command(update, context)
        return

    async def do_reload(conversation: Conversation, who: Who) -> list[Reply]:
        return [views.text_reply(await services.reload())]

    await respond(update, context, do_reload)


# --- messages -------------------------------------------------------------------------------


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a free-text question from the knowledge base."""
    message = update.effective_message
    if message is None or not message.text or not addressed(message, context.bot):
        return
    question = strip_mention(message.text, context.bot)
    await respond(update, context, lambda c, who: c.on_text(who, question))


async def caption(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a photo or document from its caption, as if the caption had been typed."""
    message = update.effective_message
    if message is None or not message.caption or not addressed(message, context.bot):
        return
    question = strip_mention(message.caption, context.bot)
    await respond(update, context, lambda c, who: c.on_text(who, question))


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, voice, photos without caption and so on: explain that the bot reads text."""
    message = update.effective_message
    if message is None or not addressed(message, context.bot):
        return
    await respond(update, context, lambda c, who: c.on_unsupported(who))


# --- buttons and inline mode ------------------------------------------------------------------


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle a press on an inline button; the callback query is always answered once."""
    query = update.callback_query
    if query is None:
        return
    conversation = services_of(context).conversation
    who = who_of(update)
    # Until a callback query is answered the client shows a spinner on the button (and
    # retries), so it is answered on every path: forged data or a failing core included.
    try:
        # Callback data is whatever the client sends back (1-64 bytes, possibly forged or
        # from an old version): the core validates it and answers "expired" if it is not ours.
        outcome = await conversation.on_button(who, query.data or "")
    except Exception:
        await query.answer()
        raise
    await query.answer(render.toast(outcome.notice))
    if update.effective_chat is None:
        return  # a button under an inline-mode message: there is no chat to write to
    pressed = query.message if isinstance(query.message, Message) else None
    await render.send_replies(context.bot, who.chat_id, outcome.replies, pressed=pressed)


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer up to three entries for `@ThisBot <question>` typed in any chat."""
    query = update.inline_query
    if query is None:
        return
    conversation = services_of(context).conversation
    allowed = conversation.admit_inline(who_of(update))
    wanted = allowed and query.query.strip()
    articles = await conversation.inline(query.query, who_of(update)) if wanted else []
    # The same question gives the same results for everyone: a short shared cache is safe.
    await query.answer(
        render.inline_results(articles), cache_time=INLINE_CACHE_S, is_personal=False
    )


# --- group quiz polls -----------------------------------------------------------------------


async def poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Count a vote in a group quiz poll (the core ignores polls it did not post)."""
    answer = update.poll_answer
    # Anonymous group admins vote as the chat (`voter_chat`, no `user`): nobody to credit.
    if answer is None or answer.user is None:
        return
    conversation = services_of(context).conversation
    await conversation.on_poll_answer(
        answer.poll_id, answer.user.id, answer.user.first_name, answer.option_ids
    )


async def poll_state(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """New vote counts or a closed poll: the PollAnswer updates already told us everything."""


# --- errors ---------------------------------------------------------------------------------


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the error with its update id and tell the user, without any internals."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s caused an error", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type == ChatType.CHANNEL:
        return
    try:
        services = context.bot_data.get(SERVICES)
        who = who_of(update)
        error = [views.text_reply(texts.ERROR)]
        if isinstance(services, Services):  # in the user's language, if that still works
            with contextlib.suppress(Exception):
                error = await services.conversation.say(
                    who, lambda: [views.text_reply(_(texts.ERROR))]
                )
        await context.bot.send_message(update.effective_chat.id, error[0].plain_text())
    except TelegramError as exc:  # Telegram unreachable: the log line above is all we can do
        log.warning("could not tell chat about the error: %s", exc)


def add_handlers(application: Application) -> None:
    """Register every handler on this application (each application gets its own)."""
    from bot.telegram.check_handlers import add_check_handlers  # it imports this module

    application.add_handler(CommandHandler("start", start, filters=NEW_MESSAGE))
    add_check_handlers(application)
    application.add_handler(CommandHandler(CORE_COMMANDS, command, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler("reload", reload, filters=NEW_MESSAGE))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, other_command))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.TEXT, text))
    captioned = filters.CAPTION & (filters.PHOTO | filters.Document.ALL)
    application.add_handler(MessageHandler(NEW_MESSAGE & captioned, caption))
    application.add_handler(MessageHandler(NEW_MESSAGE & UNSUPPORTED, unsupported))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(InlineQueryHandler(inline_query))
    application.add_handler(PollAnswerHandler(poll_answer))
    application.add_handler(PollHandler(poll_state))
    application.add_error_handler(error_handler)
