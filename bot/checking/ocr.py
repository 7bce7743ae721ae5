"""Read the text of a screenshot with RapidOCR (PP-OCR models shipped in its wheel, run by
ONNX Runtime), off the event loop, with a size limit and a time limit.

The engine loads on first use (about a second) in its own thread; nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.errors import ScamWiseError

MIN_SCORE = 0.5  # recognised lines less sure than this are left out
# Screenshots are upright (no angle classifier) and their text is large: detecting on the
# picture scaled to 1280 px on its long side reads a 1080x2400 screenshot as well and faster.
ENGINE_PARAMS = {
    "Global.log_level": "warning",
    "Global.use_cls": False,
    "Det.limit_type": "max",
    "Det.limit_side_len": 1280,
}


class OcrError(ScamWiseError):
    """The picture could not be read (too big, not an image, or it took too long)."""


class ScreenshotReader:
    """Turns image bytes into the text lines they show, top to bottom."""

    def __init__(self, max_bytes: int, timeout_s: float, max_side: int = 2560) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.max_side = max_side
        self._engine: Any = None
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scamwise-ocr")

    def _loaded(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR

                self._engine = RapidOCR(params=dict(ENGINE_PARAMS))
            return self._engine

    def load(self) -> None:
        """Load the OCR models now (otherwise on the first picture)."""
        self._loaded()

    def read(self, data: bytes) -> str:
        """The text in an image (PNG, JPEG, WebP ...), one recognised line per line."""
        if len(data) > self.max_bytes:
            raise OcrError(f"the picture is larger than {self.max_bytes // 1_000_000} MB")
        import numpy as np
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.thumbnail((self.max_side, self.max_side))
                pixels = np.asarray(image.convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise OcrError("the file is not a picture I can read") from exc
        output = self._loaded()(pixels)
        texts = getattr(output, "txts", None) or ()
        scores = getattr(output, "scores", None) or ()
        return "\n".join(t for t, s in zip(texts, scores, strict=False) if s >= MIN_SCORE)

    async def aread(self, data: bytes) -> str:
        """`read` in the OCR thread, giving up after `timeout_s` seconds."""
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._executor, self.read, data), self.timeout_s
            )
        except TimeoutError as exc:
            raise OcrError(f"reading the picture took longer than {self.timeout_s:g} s") from exc

    def close(self) -> None:
        """Stop the OCR thread (after the picture it is reading, if any)."""
        self._executor.shutdown(wait=True)
