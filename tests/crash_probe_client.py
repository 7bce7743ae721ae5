"""The parent's side of tests/crash_probe.py: start it, feed it updates, read its replies, kill it.

Used by tests/test_reliability.py and scripts/soak.py (which imports it as
`tests.crash_probe_client`, with the repository root on sys.path). The protocol is the one
described in tests/crash_probe.py: `{"ready": true}` once started, then for each update a
`{"received": id}` line and, once handled, its acknowledgement `{"update_id": id, "calls": […]}`.
A probe that breaks the protocol, falls silent or exits raises `ProbeError` naming its log.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bot.telegram.offline import callback_update, private_update

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "crash_probe.py"
READ_TIMEOUT_S = 120.0


class ProbeError(RuntimeError):
    """The probe did not keep to its protocol: silent, exited, or an unexpected line."""


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child bot process: no ScamWise or Telegram variables but ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCAMWISE_", "TELEGRAM_"))}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.update(extra)
    return env


class Probe:
    """tests/crash_probe.py as a child process: one update in, its acknowledgement out."""

    def __init__(self, env: dict[str, str], log: Path, cwd: Path | None = None) -> None:
        self.log = log
        with log.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(PROBE)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                env=env, cwd=cwd, text=True, encoding="utf-8",
            )  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        first = self.read()
        if first != {"ready": True}:
            raise ProbeError(f"the probe did not start (it said {first}): {self.stderr()}")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def read(self) -> dict[str, Any]:
        """The probe's next line, waiting at most READ_TIMEOUT_S for it."""
        try:
            line = self.lines.get(timeout=READ_TIMEOUT_S)
        except queue.Empty:
            raise ProbeError(f"the probe said nothing: {self.stderr()}") from None
        if line is None:
            raise ProbeError(f"the probe exited ({self.proc.wait()}): {self.stderr()}")
        return dict(json.loads(line))

    def write(self, update: dict[str, Any]) -> None:
        """Send an update; `read` then gives {"received": id} and later its acknowledgement."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(update) + "\n")
        self.proc.stdin.flush()

    def send(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Send an update and wait for its acknowledgement: the calls the bot made for it."""
        self.write(update)
        update_id = update["update_id"]
        received = self.read()
        if received != {"received": update_id}:
            raise ProbeError(f"update {update_id}: expected its receipt, got {received}")
        ack = self.read()
        if ack.get("update_id") != update_id:
            raise ProbeError(f"update {update_id}: expected its acknowledgement, got {ack}")
        return list(ack["calls"])

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing the probe does after this point happens."""
        os.kill(self.proc.pid, signal.SIGKILL)
        code = self.proc.wait(timeout=30)
        if code != -signal.SIGKILL:
            raise ProbeError(f"the probe had already exited ({code}): {self.stderr()}")

    def close(self) -> int:
        """EOF on stdin: the probe stops the application and exits; its exit code."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)

    def stderr(self) -> str:
        """Everything the probes writing to this log have logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


class ProbeUser:
    """Builds one user's updates for a probe, numbering them from 1."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.ids = itertools.count(1)

    def message(self, text: str) -> dict[str, Any]:
        """A private text message (or command) from this user."""
        return private_update(next(self.ids), self.user_id, text)

    def press(self, message_id: int, data: str) -> dict[str, Any]:
        """This user pressing the inline button `data` under message `message_id`."""
        return callback_update(next(self.ids), self.user_id, message_id, data)
