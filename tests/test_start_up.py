"""`python -m bot run` against a Bot API on loopback that refuses the token or is not there.

The real start-up path runs in a subprocess (CLI, runner, PTB's bootstrap, HTTPXRequest), so
everything the process writes to stderr (log lines, tracebacks, warnings) is read whole.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bot.telegram.offline import TOKEN
from bot.telegram.runner import TOKEN_REJECTED

ROOT = Path(__file__).resolve().parent.parent
SECRET_PART = TOKEN.split(":", 1)[1]


class Refusing(BaseHTTPRequestHandler):
    """Answers every Bot API call as Telegram does for a revoked token."""

    paths: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        Refusing.paths.append(self.path)
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the child's stderr, not ours."""


@pytest.fixture
def refusing_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    finally:
        server.shutdown()
        server.server_close()


def run_bot(tmp_path: Path, api_url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` with the test token and only loopback networking."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SCAMWISE_", "TELEGRAM_")) and "proxy" not in k.lower()
    }
    env.update(
        PYTHONPATH=str(ROOT),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TELEGRAM_BOT_TOKEN=TOKEN,
        SCAMWISE_TELEGRAM_API_URL=api_url,
        SCAMWISE_LOG_LEVEL="DEBUG",  # the most talkative level: nothing may leak even here
        SCAMWISE_HEARTBEAT_FILE=str(tmp_path / "heartbeat"),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
        env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def test_a_rejected_token_is_one_line_and_never_printed(tmp_path: Path, refusing_api: str) -> None:
    Refusing.paths.clear()
    done = run_bot(tmp_path, refusing_api)
    assert Refusing.paths and all(p.startswith(f"/bot{TOKEN}/") for p in Refusing.paths)
    everything = done.stdout + done.stderr
    assert TOKEN not in everything and SECRET_PART not in everything, done.stderr
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert f"error: {TOKEN_REJECTED}\n" in done.stderr, done.stderr
    assert done.stderr.count("@BotFather") == 1


def test_telegram_unreachable_at_start_is_retried_then_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run_bot(tmp_path, f"http://127.0.0.1:{port}/bot", SCAMWISE_BOOTSTRAP_RETRIES="1")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert TOKEN not in done.stderr and SECRET_PART not in done.stderr
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("error: ")]
    assert "cannot reach Telegram" in line and "after 1 retries" in line, done.stderr
