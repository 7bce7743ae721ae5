"""Turn the core's `Reply` objects into Bot API calls: HTML text, inline keyboards, photos.

Telegram quirks handled here, in one place:
- text is sent with parse_mode HTML; `to_html` escapes every span, so user or knowledge text
  can never inject a tag (Telegram rejects the whole message on one bad tag);
- a message holds at most 4096 characters, so long replies are split at paragraph boundaries
  and the keyboard goes under the last piece; Telegram counts characters in UTF-16 code units
  (an emoji is two), and so does every limit here (`bot.conversation.utf16`);
- callback data is 1-64 bytes; a button whose action does not fit is dropped, not sent;
- a photo caption holds at most 1024 characters;
- editing a message to identical content fails with "message is not modified", which is fine;
- a quiz poll holds a question of 1-300 characters, options of 1-100 and an explanation of
  0-200 with at most 2 line feeds; one field too long and Telegram rejects the whole poll.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Poll,
    ReplyParameters,
)
from telegram.constants import CallbackQueryLimit, MessageLimit, ParseMode, PollLimit
from telegram.error import BadRequest

from bot.conversation.actions import MAX_ACTION_BYTES
from bot.conversation.markup import split_html
from bot.conversation.replies import Article, Button, PollSpec, Reply
from bot.conversation.utf16 import utf16_cut, utf16_len

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_INLINE_RESULTS = 3
MAX_RESULT_ID_BYTES = 64  # inline result ids are 1-64 bytes
# Telegram states no limit for these; clients show about a line each, so keep them short.
MAX_INLINE_TITLE = 100
MAX_INLINE_DESCRIPTION = 200
NOT_MODIFIED = "message is not modified"


def button(spec: Button) -> InlineKeyboardButton | None:
    """One inline button, or None when Telegram would reject it."""
    if not spec.label:
        return None
    if spec.url:
        return InlineKeyboardButton(spec.label, url=spec.url)
    if not spec.action or len(spec.action.encode()) > MAX_ACTION_BYTES:
        log.warning("dropping button %r: callback data must be 1-64 bytes", spec.label)
        return None
    return InlineKeyboardButton(spec.label, callback_data=spec.action)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (None when it has none)."""
    rows = []
    for row in reply.buttons:
        buttons = [b for b in (button(spec) for spec in row) if b is not None]
        if buttons:
            rows.append(buttons)
    return InlineKeyboardMarkup(rows) if rows else None


def chunks(reply: Reply) -> list[str]:
    """The reply's HTML, split into messages Telegram accepts (empty pieces dropped)."""
    return [chunk for chunk in split_html(reply.text) if chunk.strip()]


async def send_replies(
    bot: Bot,
    chat_id: int,
    replies: Sequence[Reply],
    *,
    pressed: Message | None = None,
    quote: int | None = None,
) -> None:
    """Send replies in order; `pressed` is the message whose button was pressed (for edits)."""
    for reply in replies:
        if reply.edit and pressed is not None and await _edit(bot, pressed, reply):
            pressed = None  # one reply replaces the pressed message; later ones are new
            continue
        await _send(bot, chat_id, reply, quote)
        quote = None  # in groups only the first message quotes the question


async def _edit(bot: Bot, pressed: Message, reply: Reply) -> bool:
    """Replace the pressed message; False when a new message should be sent instead."""
    pieces = chunks(reply)
    if reply.image is not None or len(pieces) != 1:
        return False
    try:
        await bot.edit_message_text(
            pieces[0],
            chat_id=pressed.chat_id,
            message_id=pressed.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(reply),
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        # A double tap re-sends the same content: Telegram refuses, and nothing needs doing.
        if NOT_MODIFIED in str(exc).lower():
            return True
        # Too old, deleted, or a photo without text: answer with a new message instead.
        log.info("could not edit message %s (%s); sending a new one", pressed.message_id, exc)
        return False
    return True


async def _send(bot: Bot, chat_id: int, reply: Reply, quote: int | None) -> None:
    """Send one reply as a photo and/or text messages, keyboard under the last one."""
    markup = keyboard(reply)
    pieces = chunks(reply)
    if reply.image is not None:
        caption = pieces[0] if len(pieces) == 1 else html.escape(reply.image.caption, False)
        fits = utf16_len(caption) <= MessageLimit.CAPTION_LENGTH
        await bot.send_photo(
            chat_id,
            photo=reply.image.png,
            filename=reply.image.filename,
            caption=caption if fits else None,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if fits and len(pieces) <= 1 else None,
            reply_parameters=_quote(quote),
        )
        if fits and len(pieces) <= 1:
            return
        quote = None
    for i, piece in enumerate(pieces):
        await bot.send_message(
            chat_id,
            piece,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup if i == len(pieces) - 1 else None,
            reply_parameters=_quote(quote) if i == 0 else None,
        )


def _quote(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id, allow_sending_without_reply=True)


def inline_results(articles: Sequence[Article]) -> list[InlineQueryResultArticle]:
    """Inline-mode results: at most three, each posting the answer's HTML as a message."""
    results = []
    for article in articles[:MAX_INLINE_RESULTS]:
        if not 1 <= len(article.entry_id.encode()) <= MAX_RESULT_ID_BYTES:
            continue
        text = split_html(article.text)[0]  # a posted message holds 4096 characters at most
        results.append(
            InlineQueryResultArticle(
                id=article.entry_id,  # result ids are 1-64 bytes; entry ids are short slugs
                title=utf16_cut(article.title, MAX_INLINE_TITLE),
                description=utf16_cut(article.description, MAX_INLINE_DESCRIPTION),
                input_message_content=InputTextMessageContent(
                    text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                ),
            )
        )
    return results


def notice_text(replies: Sequence[Reply]) -> str | None:
    """The plain text of short replies, fit for a callback-query toast (200 characters)."""
    text = "\n".join(r.plain_text() for r in replies).strip()
    return utf16_cut(text, CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH) or None


def toast(text: str | None) -> str | None:
    """A callback-query notice cut to Telegram's 200 characters (UTF-16 units)."""
    return utf16_cut(text, CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH) if text else None


def fit(text: str, limit: int) -> str:
    """Text cut to `limit` characters (UTF-16 units), with an ellipsis when cut."""
    return utf16_cut(text, limit)


async def send_quiz_poll(bot: Bot, chat_id: int, spec: PollSpec, open_period: int) -> Message:
    """Post one question as a native quiz poll that closes itself after `open_period` seconds."""
    right: list[Any] = [spec.correct_option]  # PTB types option ids as Literal[0, …, 11]
    explanation = spec.explanation
    if explanation.count("\n") > PollLimit.MAX_EXPLANATION_LINE_FEEDS:
        explanation = " ".join(explanation.split())
    return await bot.send_poll(
        chat_id,
        question=fit(spec.question, PollLimit.MAX_QUESTION_LENGTH),
        options=[fit(option, PollLimit.MAX_OPTION_LENGTH) for option in spec.options],
        type=Poll.QUIZ,
        # Anonymous polls send no PollAnswer updates (nobody to credit): this one must not be.
        is_anonymous=False,
        # Bot API 9.6 (PTB 22.8) takes a list of right answers; `correct_option_id` is deprecated.
        correct_option_ids=right,
        explanation=fit(explanation, PollLimit.MAX_EXPLANATION_LENGTH) or None,
        open_period=open_period,
    )
