"""Ctrl-C in the terminal chat quits at once, with exit code 0 even under make."""

from __future__ import annotations

import os
import select
import shutil
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHAT = """\
import asyncio, sys
sys.path.insert(0, {root!r})
from bot.terminal import own_foreground, read_line

async def chat():
    while True:
        await read_line("> ")

with own_foreground():
    try:
        asyncio.run(chat())
    except KeyboardInterrupt:
        print("goodbye")
        sys.exit(0)
"""


def _run_in_pty(argv: list[str], keys: bytes = b"\x03", timeout: float = 60.0) -> tuple[str, int]:
    """Start argv on a new terminal, type `keys` (Ctrl-C) at the first prompt; (output, code)."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes `make`
        os.execvp(argv[0], argv)
    out, sent, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and out.endswith(b"> "):
            time.sleep(0.2)
            os.write(fd, keys)  # a Ctrl-C becomes SIGINT for the terminal's foreground group
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(shutil.which("make") is None or sys.platform == "win32", reason="needs make")
def test_ctrl_c_under_make_exits_0(tmp_path: Path) -> None:
    script = tmp_path / "chat.py"
    script.write_text(CHAT.format(root=str(ROOT)), encoding="utf-8")
    (tmp_path / "Makefile").write_text(f"run:\n\t{sys.executable} {script}\n", encoding="utf-8")
    out, code = _run_in_pty(["make", "-s", "-C", str(tmp_path), "run"])
    assert "goodbye" in out and "Interrupt" not in out, out
    assert code == 0


def test_a_bracketed_paste_is_one_text_and_typed_lines_stay_lines() -> None:
    from bot.terminal import PASTE_END, PASTE_START, read_pasted

    pasted = iter(["Pay the fee at http://sf-express.top", f"or it goes back{PASTE_END}"])
    text = read_pasted(f"{PASTE_START}Your parcel is held.", lambda: next(pasted))
    assert text == "Your parcel is held.\nPay the fee at http://sf-express.top\nor it goes back"
    one_line = read_pasted(f"{PASTE_START}is this real?{PASTE_END}", lambda: "never read")
    assert one_line == "is this real?"
    assert read_pasted("what is a task scam", lambda: "never read") == "what is a task scam"

    def ended() -> str:
        raise EOFError

    assert read_pasted(f"{PASTE_START}cut short", ended) == "cut short"  # input ended mid-paste


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_the_console_reads_a_multi_line_paste_as_one_message(tmp_path: Path) -> None:
    """Through a real terminal: the chat turns bracketed paste on, and a paste is one read."""
    script = tmp_path / "paste.py"
    script.write_text(
        "import asyncio, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from bot.terminal import bracketed_paste, read_line\n"
        "async def main():\n"
        "    text = await read_line('> ')\n"
        "    print('READ', repr(text))\n"
        "with bracketed_paste():\n"
        "    asyncio.run(main())\n"
    )
    paste = b"\x1b[200~Hi Mum, new number\rsend 300 today\x1b[201~\r"
    text, _ = _run_in_pty([sys.executable, str(script)], keys=paste)
    assert "\x1b[?2004h" in text and "\x1b[?2004l" in text
    assert "READ 'Hi Mum, new number\\nsend 300 today'" in text
