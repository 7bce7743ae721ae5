"""The message checker through the real PTB Application on the offline Bot API: /check, /check
as a reply (also in groups), forwarded messages, pasted messages, screenshots read by OCR,
inline mode, privacy (nothing of a checked message is stored) and hostile input."""

from __future__ import annotations

import html
import io
import logging
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import check_flow
from tests.telegram_harness import (
    GROUP_ID,
    BotUnderTest,
    Call,
    keyboard_data,
    started,
    telegram_settings,
)

PARCEL = (
    "DHL: your parcel is on hold because of an unpaid redelivery fee.\n"
    "Pay 1.99 within 24 hours at http://dhl-redelivery.top/pay or it will be returned."
)
JOB = (
    "Hi dear, I'm Zephyrine from the recruitment team. Part-time job, earn 500 a day liking "
    "videos, no experience needed. Add me on WhatsApp +855 96 777 1234 or zephyr-pay.top"
)
ORDINARY = "Hey, football practice moved to 5pm tomorrow, bring your boots and water!"


@pytest.fixture
async def tg(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> AsyncIterator[BotUnderTest]:
    settings = telegram_settings(tmp_path, real_index_dir)
    async with started(settings, real_embedder) as bot:
        yield bot


def sent(calls: list[Call]) -> Call:
    messages = [c for c in calls if c.method == "sendMessage"]
    assert len(messages) == 1, calls
    return messages[0]


def text_of(call: Call) -> str:
    """The message as the user reads it (tags removed, entities unescaped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", str(call.params["text"])))


def buttons(call: Call) -> list[str]:
    return [b.get("callback_data", "") for row in keyboard_data(call) for b in row]


async def test_check_command_names_the_flags_and_the_scam(tg: BotUnderTest) -> None:
    call = sent(await tg.send(tg.updates.command("check", PARCEL)))
    text = text_of(call)
    assert text.startswith(check_flow.HEADLINES[check_flow.Verdict.SCAM])
    assert "Unpaid parcel or shipping fee" in text and "dhl-redelivery.top" in text
    assert "looks like DHL" in text and "I never open links" in text
    assert "report" in buttons(call) and any(b.startswith("e:") for b in buttons(call))


async def test_an_ordinary_message_is_never_called_safe(tg: BotUnderTest) -> None:
    text = text_of(sent(await tg.send(tg.updates.command("check", ORDINARY))))
    assert text.startswith(check_flow.HEADLINES[check_flow.Verdict.NONE])
    assert "does not mean it is safe" in text and "What I could not check" in text


async def test_bare_check_explains_how(tg: BotUnderTest) -> None:
    assert text_of(sent(await tg.send(tg.updates.command("check")))) == check_flow.CHECK_HOW_TO


async def test_check_as_a_reply_in_a_group(tg: BotUnderTest) -> None:
    u = tg.updates
    original = u.text(JOB, chat_id=GROUP_ID)["message"]
    data = u.command("check", chat_id=GROUP_ID)
    data["message"]["reply_to_message"] = original
    call = sent(await tg.send(data))
    assert call.params["chat_id"] == GROUP_ID
    text = text_of(call)
    assert "High pay for easy work" in text and "+855 96 777 1234" in text
    assert "A foreign number tied to a job" in text


async def test_a_forwarded_message_is_checked(tg: BotUnderTest) -> None:
    origin = {"type": "hidden_user", "sender_user_name": "Unknown", "date": int(time.time())}
    call = sent(await tg.send(tg.updates.text(JOB, forward_origin=origin)))
    assert "Moves you to another app or a private number" in text_of(call)


async def test_a_pasted_message_in_private_chat_is_checked_but_a_question_is_answered(
    tg: BotUnderTest,
) -> None:
    pasted = text_of(sent(await tg.send(tg.updates.text(PARCEL))))
    assert pasted.startswith(check_flow.HEADLINES[check_flow.Verdict.SCAM])
    question = text_of(sent(await tg.send(tg.updates.text("is a parcel fee text a scam?"))))
    assert not question.startswith(tuple(check_flow.HEADLINES.values()))


async def test_inline_check_gives_the_verdict_as_an_article(tg: BotUnderTest) -> None:
    calls = await tg.send(tg.updates.inline(f"check {PARCEL}"))
    [answer] = [c for c in calls if c.method == "answerInlineQuery"]
    [result] = answer.params["results"]
    assert result["id"] == "check"
    assert result["title"] == check_flow.HEADLINES[check_flow.Verdict.SCAM]


async def test_nothing_of_a_checked_message_is_stored_or_logged(
    tg: BotUnderTest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # the level the bot runs at (PTB logs replies at DEBUG)
    u = tg.updates
    origin = {"type": "hidden_user", "sender_user_name": "Unknown", "date": int(time.time())}
    await tg.send(u.command("check", JOB))
    await tg.send(u.text(JOB, forward_origin=origin))
    await tg.send(u.text(JOB))
    await tg.services.store.close()  # flush everything to the file
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite3*"))
    for secret in ("Zephyrine", "zephyr-pay", "96 777 1234", "967771234", "liking videos"):
        assert secret.encode() not in stored
        assert secret not in caplog.text
    assert "verdict=scam" in caplog.text  # counts are fine


@pytest.mark.parametrize(
    "hostile",
    [
        "pay the deposit now " * 500,  # 10,000 characters
        "pay\x00the\x07deposit\x1b[31m now\u202e\ufeff to bit.ly/x",
        "<b>urgent</b> <script>alert(1)</script> send your <a href='x'>code</a> & win",
    ],
)
async def test_hostile_input_gets_a_clean_reply(tg: BotUnderTest, hostile: str) -> None:
    calls = await tg.send(tg.updates.command("check", hostile))
    messages = [c for c in calls if c.method == "sendMessage"]
    assert messages and all(len(text_of(c)) <= 4096 for c in messages)
    text = text_of(messages[0])
    assert text.startswith(tuple(check_flow.HEADLINES.values()))
    assert "\x00" not in text and "\x1b" not in text
    assert "<script>" not in str(messages[0].params["text"])  # escaped in the HTML sent


# --- screenshots ----------------------------------------------------------------------------


def _cjk_font() -> str | None:
    """A font file with Chinese glyphs, if the machine has one (fontconfig)."""
    if shutil.which("fc-list") is None:
        return None
    out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True)
    files = [line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip()]
    return sorted(files)[0] if files else None


def screenshot(lines: list[str], font_file: str | None) -> bytes:
    """A phone-sized chat screenshot with the given lines, as PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1080, 1600), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(font_file, 46) if font_file else ImageFont.load_default(46)
    for row, line in enumerate(lines):
        draw.rounded_rectangle((40, 140 + row * 110, 1040, 230 + row * 110), 20, fill="#e8f0fe")
        draw.text((70, 160 + row * 110), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def photo_update(tg: BotUnderTest, data: bytes, **fields: Any) -> dict[str, Any]:
    tg.request.add_file("shot-1", data)
    size = {"file_id": "shot-1", "file_unique_id": "u-shot-1", "width": 1080, "height": 1600,
            "file_size": len(data)}  # fmt: skip
    return tg.updates.message(photo=[size], **fields)


async def test_an_english_screenshot_is_read_and_checked(tg: BotUnderTest) -> None:
    png = screenshot(["Your parcel is on hold.", "Pay the redelivery fee", "at dhl-pay.top"], None)
    calls = await tg.send(photo_update(tg, png))
    assert [c.method for c in calls][:2] == ["getFile", "downloadFile"]
    text = text_of(sent(calls))
    assert text.startswith(check_flow.OCR_INTRO) and "parcel is on hold" in text.lower()
    assert "Unpaid parcel or shipping fee" in text


async def test_a_chinese_screenshot_is_read_and_checked(tg: BotUnderTest) -> None:
    font = _cjk_font()
    if font is None:
        pytest.skip("no font with Chinese glyphs here (install fonts-wqy-microhei)")
    png = screenshot(["您的包裹因地址不详无法派送", "请在24小时内补缴运费"], font)
    text = text_of(sent(await tg.send(photo_update(tg, png))))
    # Read in Chinese, answered in Chinese: the flag by its zh name (flags.yaml).
    kb = tg.services.retriever.kb
    parcel = next(f for f in kb.flags if f.name == "Unpaid parcel or shipping fee")
    assert "包裹" in text and parcel.zh_name and parcel.zh_name in text


async def test_a_screenshot_too_large_is_refused_without_download(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> None:
    settings = telegram_settings(tmp_path, real_index_dir, ocr_max_mb=0.001)
    async with started(settings, real_embedder) as tg:
        calls = await tg.send(photo_update(tg, screenshot(["hello there"], None)))
        assert "getFile" not in [c.method for c in calls]
        assert "too large" in text_of(sent(calls))


async def test_a_group_photo_needs_check_as_caption(tg: BotUnderTest) -> None:
    png = screenshot(["Your parcel is on hold."], None)
    group = photo_update(tg, png)
    group["message"]["chat"] = {"id": GROUP_ID, "type": "supergroup", "title": "Family chat"}
    assert await tg.send(group) == []
    group = photo_update(tg, png, caption="/check")
    group["message"]["chat"] = {"id": GROUP_ID, "type": "supergroup", "title": "Family chat"}
    assert "parcel" in text_of(sent(await tg.send(group))).lower()
