"""Keep the bot token (and the webhook secret) out of every log line, at every level.

The token is part of every Bot API URL (`https://api.telegram.org/bot<token>/sendMessage`), and
libraries log those URLs: httpx at INFO for each request, PTB at DEBUG when the bot is built.
Anyone who reads the log could then control the bot. `install_redaction` wraps the process-wide
log record factory, so every record created afterwards, by any logger, is scrubbed before a
handler can format it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

MASK = "[REDACTED]"
# Loggers that print request URLs (hence the token) at INFO: keep them to warnings and above.
NOISY_LOGGERS = ("httpx", "httpcore")
MIN_SECRET_CHARS = 6  # shorter strings would mask ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()


def secret_parts(token: str) -> set[str]:
    """The strings to mask for a token: the whole token and its secret part after the colon."""
    parts = {token.strip()}
    _, _, secret = token.partition(":")
    parts.add(secret.strip())
    return {p for p in parts if len(p) >= MIN_SECRET_CHARS}


def redact(text: str) -> str:
    """The text with every registered secret replaced by [REDACTED]."""
    for secret in sorted(_secrets, key=len, reverse=True):  # whole token before its tail
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _contains_secret(text: str) -> bool:
    return any(secret in text for secret in _secrets)


def _scrub(record: logging.LogRecord) -> None:
    """Replace message, traceback and stack text of a record if they contain a secret."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: leave it for logging's own error reporting
        message = None
    if message is not None and _contains_secret(message):
        record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if _contains_secret(text):
            record.exc_text = redact(text)  # formatters use exc_text when it is set
    if record.stack_info and _contains_secret(record.stack_info):
        record.stack_info = redact(record.stack_info)


def _wrap(factory: Any) -> Any:
    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        if _secrets:
            _scrub(record)
        return record

    make_record.scamwise_redacting = True  # type: ignore[attr-defined]
    return make_record


def install_redaction(*secrets: str | None) -> None:
    """Mask these secrets in every log record from now on (idempotent, process-wide)."""
    with _lock:
        for secret in secrets:
            if secret:
                _secrets.update(secret_parts(secret))
        current = logging.getLogRecordFactory()
        if not getattr(current, "scamwise_redacting", False):
            logging.setLogRecordFactory(_wrap(current))
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class RedactingStream:
    """A text stream that masks every registered secret before writing to the real one.

    Put in place of `sys.stderr`, it covers every way text leaves the process there: uncaught
    exceptions (the default excepthook), warnings, thread and "unraisable" hooks, and log
    handlers created afterwards.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.scamwise_redacting = True

    def write(self, text: str) -> int:
        """Write the text with secrets masked."""
        self._stream.write(redact(text) if _secrets else text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line with secrets masked."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stderr() -> None:
    """Route `sys.stderr` through `RedactingStream` (idempotent, process-wide)."""
    import sys

    if not getattr(sys.stderr, "scamwise_redacting", False):
        sys.stderr = RedactingStream(sys.stderr)
