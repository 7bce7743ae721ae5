"""Apply a text conversion (Simplified -> Traditional) to everything a reply shows.

Labels, texts, captions, notices and poll fields are converted; callback data, URLs, file
names and buttons marked `fixed` (the language names on /language) are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from bot.conversation.markup import Span
from bot.conversation.replies import Article, Button, Image, Outcome, PollSpec, QuizPlan, Reply

Convert = Callable[[str], str]
T = TypeVar("T")


def _span(span: Span, convert: Convert) -> Span:
    return replace(span, text=convert(span.text))


def _button(button: Button, convert: Convert) -> Button:
    return button if button.fixed else replace(button, label=convert(button.label))


def _image(image: Image | None, convert: Convert) -> Image | None:
    return replace(image, caption=convert(image.caption)) if image is not None else None


def convert_reply(reply: Reply, convert: Convert) -> Reply:
    """The reply with its text, button labels and caption converted."""
    return replace(
        reply,
        text=tuple(_span(s, convert) for s in reply.text),
        buttons=tuple(tuple(_button(b, convert) for b in row) for row in reply.buttons),
        image=_image(reply.image, convert),
    )


def _poll(spec: PollSpec, convert: Convert) -> PollSpec:
    return replace(
        spec,
        question=convert(spec.question),
        options=tuple(convert(o) for o in spec.options),
        explanation=convert(spec.explanation),
    )


def convert_any(value: T, convert: Convert) -> T:
    """Convert a Reply, Outcome, Article, QuizPlan or a list of them (others unchanged)."""
    result: Any = value
    if isinstance(value, Reply):
        result = convert_reply(value, convert)
    elif isinstance(value, Outcome):
        notice = convert(value.notice) if value.notice else value.notice
        result = Outcome([convert_reply(r, convert) for r in value.replies], notice)
    elif isinstance(value, Article):
        result = replace(
            value,
            title=convert(value.title),
            description=convert(value.description),
            text=tuple(_span(s, convert) for s in value.text),
        )
    elif isinstance(value, QuizPlan):
        polls = tuple(_poll(p, convert) for p in value.polls)
        result = replace(value, intro=convert_reply(value.intro, convert), polls=polls)
    elif isinstance(value, list):
        result = [convert_any(v, convert) for v in value]
    return result
