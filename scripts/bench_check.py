"""The message checker's part of `scripts/bench.py`: (i) one text check, p50/p95; (j) checks
per second for concurrent users (through the micro-batching AsyncChecker); (k) OCR of a
1080x2400 phone screenshot rendered here."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = (
    "Hi dear, I'm Lisa from the recruitment team. Part-time job, earn 300-800 a day liking "
    "videos. No experience needed. Add me on WhatsApp +855 12 345 678",
    "Your parcel is on hold. Pay the 1.99 redelivery fee within 24 hours: http://dhl-pay.top/x",
    "【顺丰速运】您的包裹因地址不详无法派送，请在24小时内点击 sf-kd.top 补缴运费",
    "Hey, practice moved to 5pm tomorrow. Bring your boots!",
    "Mum my phone broke, this is my new number. Can you send 200 for a bill today?",
    "您的验证码是123456，请勿泄露给他人。",
)
SCREEN_LINES = (
    "Hi dear, I am Lisa from the HR team",
    "Part-time job, earn 500 a day",
    "No experience needed, daily pay",
    "您的包裹因地址不详无法派送",
    "请在24小时内点击链接补缴运费",
    "Add me on WhatsApp +855 12 345 678",
)


def messages() -> list[str]:
    """The dev message set's texts when it exists, else a few built-in samples."""
    import yaml

    path = ROOT / "tests" / "data" / "messages.yaml"
    if path.is_file():
        return [c["text"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return list(SAMPLES) * 20


def check_latencies(checker: Any, texts: list[str]) -> dict[str, float]:
    """(i) One check at a time: p50 and p95 in milliseconds."""
    checker.check("warm up")
    durations = []
    for text in texts:
        start = time.perf_counter()
        checker.check(text)
        durations.append(time.perf_counter() - start)
    return {
        "check_p50_ms": round(float(np.percentile(durations, 50)) * 1000, 2),
        "check_p95_ms": round(float(np.percentile(durations, 95)) * 1000, 2),
    }


async def _concurrent(checker: Any, texts: list[str], users: int, per_user: int) -> float:
    from bot.checking.service import AsyncChecker

    front = AsyncChecker(checker)

    async def user(n: int) -> None:
        for i in range(per_user):
            await front.check(texts[(n * per_user + i) % len(texts)])

    try:
        start = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        return users * per_user / (time.perf_counter() - start)
    finally:
        await front.aclose()


def checks_per_second(checker: Any, texts: list[str], users: int, per_user: int) -> float:
    """(j) Checks per second with `users` concurrent users."""
    return round(asyncio.run(_concurrent(checker, texts, users, per_user)), 1)


def screenshot_png(width: int = 1080, height: int = 2400) -> bytes:
    """A phone-sized chat screenshot with English and (when a font has them) Chinese lines."""
    import shutil
    import subprocess

    from PIL import Image, ImageDraw, ImageFont

    font_file = None
    if shutil.which("fc-list"):
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True)
        found = sorted(line.split(":")[0] for line in out.stdout.splitlines() if line.strip())
        font_file = found[0] if found else None
    font = ImageFont.truetype(font_file, 44) if font_file else ImageFont.load_default(44)
    image = Image.new("RGB", (width, height), "#f2f2f2")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(SCREEN_LINES * 3):
        top = 200 + row * 115
        draw.rounded_rectangle((40, top, width - 120, top + 95), 24, fill="white")
        draw.text((70, top + 22), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def ocr_seconds(rounds: int = 3) -> dict[str, float]:
    """(k) Reading a 1080x2400 screenshot (models loaded first), the median of `rounds`."""
    from bot.checking.ocr import ScreenshotReader

    reader = ScreenshotReader(max_bytes=20_000_000, timeout_s=60)
    reader.load()
    png = screenshot_png()
    reader.read(png)  # the first run sets up ONNX Runtime's buffers
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        reader.read(png)
        times.append(time.perf_counter() - start)
    reader.close()
    return {"ocr_1080x2400_s": round(float(np.median(times)), 3)}


def bench_checker(base: Any, users: int, per_user: int) -> dict[str, Any]:
    """(i), (j) and (k) with the bot's own checker (the index's encoder)."""
    from bot.app import open_checker, open_retriever

    checker = open_checker(base, open_retriever(base))
    texts = messages()
    figures: dict[str, Any] = check_latencies(checker, texts)
    figures["checks_per_s_50_users"] = checks_per_second(checker, texts, users, per_user)
    figures.update(ocr_seconds())
    return figures
