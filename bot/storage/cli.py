"""Plain-text reports over the store, for the `python -m bot` command line."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC

from bot.storage.store import UnansweredRow

QUESTION_WIDTH = 60
HEADERS = ("question", "count", "best id", "mean score", "last seen")
RIGHT_ALIGNED = {1, 3}  # count and mean score


def display_width(text: str) -> int:
    """Terminal columns of `text`: wide (Chinese, full-width) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` padded with spaces to `width` terminal columns."""
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def _cut(text: str, width: int = QUESTION_WIDTH) -> str:
    """One line of at most `width` terminal columns, ending in an ellipsis when cut."""
    line = " ".join(text.split())
    if display_width(line) <= width:
        return line
    while display_width(line) > width - 1:
        line = line[:-1]
    return line + "…"


def _cells(row: UnansweredRow) -> tuple[str, ...]:
    """The printed cells of one row."""
    return (
        _cut(row.question),
        str(row.count),
        row.best_id or "-",
        f"{row.mean_score:.3f}",
        row.last_seen.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Cells padded to their column widths, two spaces apart."""
    parts = [
        _pad(cell, width, right=i in RIGHT_ALIGNED)
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ]
    return "  ".join(parts).rstrip()


def format_unanswered(rows: Sequence[UnansweredRow]) -> str:
    """The `python -m bot unanswered` table: question, count, best id, mean score, last seen."""
    if not rows:
        return "No unanswered questions recorded."
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(display_width(line[i]) for line in table) for i in range(len(HEADERS))]
    rule = ["-" * width for width in widths]
    return "\n".join(_line(cells, widths) for cells in [table[0], rule, *table[1:]])
