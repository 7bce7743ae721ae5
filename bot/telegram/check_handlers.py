"""Telegram handlers of the message checker: /check (with text or as a reply), forwarded
messages and screenshots. The core does the checking (bot.conversation.check_flow).

Privacy: the text of a checked message is never logged here either.
"""

from __future__ import annotations

import logging

from telegram import Message, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.checking.ocr import OcrError, ScreenshotReader
from bot.conversation import views
from bot.conversation.core import Conversation
from bot.conversation.replies import Reply, Who
from bot.i18n import N_, _
from bot.telegram.handlers import NEW_MESSAGE, addressed, command_parts, respond, services_of

log = logging.getLogger(__name__)

OCR_UNREADABLE = N_("I could not read that picture ({why}). Paste the message as text instead.")
# A photo is checked in private chat, and anywhere when its caption is /check.
CHECK_CAPTION = filters.CaptionRegex(r"^/check(@\w+)?(\s|$)")
PHOTO_TO_CHECK = filters.PHOTO & (filters.ChatType.PRIVATE | CHECK_CAPTION)


async def check_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check the text after /check, or the message (or screenshot) that /check replies to."""
    message = update.effective_message
    if message is None:
        return
    _, _, args = command_parts(message)
    replied = message.reply_to_message
    source = "command"
    if not args and replied is not None:
        if replied.photo:
            await _check_photo(update, context, replied, "reply")
            return
        args, source = replied.text or replied.caption or "", "reply"
    text = args
    await respond(update, context, lambda c, who: c.on_check(who, text, source=source))


async def forwarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check a message forwarded to the bot (its text, caption or screenshot)."""
    message = update.effective_message
    if message is None or not addressed(message, context.bot):
        return
    if message.photo:
        await _check_photo(update, context, message, "forward")
        return
    text = message.text or message.caption or ""
    await respond(update, context, lambda c, who: c.on_check(who, text, source="forward"))


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Read a screenshot (private chat, or captioned /check) and check the text on it."""
    message = update.effective_message
    if message is None:
        return
    await _check_photo(update, context, message, "photo")


def largest_fitting(sizes: tuple[PhotoSize, ...], max_bytes: int) -> PhotoSize | None:
    """The biggest version of a photo Telegram offers that is within the size limit."""
    fitting = [s for s in sizes if s.file_size is None or s.file_size <= max_bytes]
    return max(fitting, key=lambda s: s.width * s.height, default=None)


async def _check_photo(
    update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message, source: str
) -> None:
    reader = services_of(context).reader
    size = largest_fitting(message.photo, reader.max_bytes) if reader is not None else None

    async def produce(conversation: Conversation, who: Who) -> list[Reply]:
        def unreadable(why: str) -> list[Reply]:
            return [views.text_reply(_(OCR_UNREADABLE).format(why=_(why)))]

        if reader is None or size is None:
            why = N_("OCR is off") if reader is None else N_("it is too large")
            return await conversation.say(who, lambda: unreadable(why))
        try:
            text = await _read(context, reader, size)
        except OcrError as exc:
            log.warning("screenshot not read: %s", exc)
            said = str(exc)
            return await conversation.say(who, lambda: unreadable(said))
        except TelegramError as exc:
            log.warning("screenshot not downloaded: %s", type(exc).__name__)
            return await conversation.say(who, lambda: unreadable(N_("the download failed")))
        return await conversation.on_check(who, text, source=source, read_from_image=True)

    await respond(update, context, produce)


async def _read(
    context: ContextTypes.DEFAULT_TYPE, reader: ScreenshotReader, size: PhotoSize
) -> str:
    """Download the photo through the Bot API and read it in the OCR thread."""
    file = await context.bot.get_file(size.file_id)
    data = bytes(await file.download_as_bytearray())
    return await reader.aread(data)


def add_check_handlers(application: Application) -> None:
    """Register the checker's handlers; call before the generic text and caption handlers."""
    application.add_handler(CommandHandler("check", check_command, filters=NEW_MESSAGE))
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.FORWARDED, forwarded))
    application.add_handler(MessageHandler(NEW_MESSAGE & PHOTO_TO_CHECK, photo))
