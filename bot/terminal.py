"""Terminal plumbing for the console chat: reading lines and pastes, and a clean Ctrl-C.

Three quirks handled here:
- `input()` blocks its thread until Enter. Run in the event loop's default executor, a
  pending `input()` keeps `asyncio.run` waiting at exit, so Ctrl-C seemed to do nothing;
  each read runs in its own daemon thread instead, which never holds up the exit.
- Ctrl-C sends SIGINT to the terminal's whole foreground process group. Under `make run`
  that includes make, which then dies of the signal ("make: *** Interrupt", exit 2) whatever
  the bot does. While the chat runs, the bot becomes its own foreground process group (as a
  shell does for a job), so only the bot gets Ctrl-C; it hands the terminal back on exit.
- A pasted message of several lines arrives as several lines. With bracketed paste on
  (`ESC [?2004h`, understood by xterm-style terminals), the terminal wraps a paste in
  `ESC [200~` … `ESC [201~`; `read_line` returns everything between the two as one text.
  A terminal that ignores the request sends no markers, and lines stay lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
PASTE_ON = "\x1b[?2004h"
PASTE_OFF = "\x1b[?2004l"


def read_pasted(first: str, more: Callable[[], str]) -> str:
    """`first` as typed, or, when it opens a bracketed paste, the whole paste as one text.

    `more` reads the next line (EOFError at the end); text typed after the closing marker on
    its line is kept, so a paste without a final newline plus Enter is still one message.
    """
    if PASTE_START not in first:
        return first
    lines = [first.replace(PASTE_START, "", 1)]
    with contextlib.suppress(EOFError):
        while PASTE_END not in lines[-1]:
            lines.append(more())
    return "\n".join(lines).replace(PASTE_END, "", 1)


@contextlib.contextmanager
def bracketed_paste() -> Iterator[None]:
    """Ask the terminal to mark pastes while inside (only when both ends are terminals)."""
    on = sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()
    if on:
        sys.stdout.write(PASTE_ON)
        sys.stdout.flush()
    try:
        yield
    finally:
        if on:
            sys.stdout.write(PASTE_OFF)
            sys.stdout.flush()


async def read_line(prompt: str) -> str:
    """One line, or one bracketed paste, from stdin (EOFError at the end of input) without
    blocking the event loop."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(value: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value or "")

    def read() -> None:
        try:
            value = read_pasted(input(prompt), input)
        except BaseException as exc:  # EOFError, or a closed stdin
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, value, None)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future


def _tcsetpgrp(fd: int, pgid: int) -> None:
    """Make `pgid` the terminal's foreground group (SIGTTOU ignored meanwhile, as shells do)."""
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(fd, pgid)
    finally:
        signal.signal(signal.SIGTTOU, old)


@contextlib.contextmanager
def own_foreground() -> Iterator[None]:
    """Receive Ctrl-C alone while inside (only when stdin is a terminal we can take over)."""
    fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else -1
    previous = None
    if fd >= 0 and hasattr(os, "tcsetpgrp"):
        try:
            previous = os.tcgetpgrp(fd)
            if previous == os.getpgrp() and os.getpid() != os.getpgrp():
                os.setpgid(0, 0)  # a group of our own, then take the terminal
                try:
                    _tcsetpgrp(fd, os.getpgrp())
                except OSError:
                    os.setpgid(0, previous)  # back into the foreground group, or reads stop
                    raise
            else:
                previous = None  # already leading the foreground group: nothing to do
        except OSError:
            previous = None
    try:
        yield
    finally:
        if previous is not None:
            with contextlib.suppress(OSError):
                _tcsetpgrp(fd, previous)
