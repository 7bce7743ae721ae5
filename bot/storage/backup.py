"""`python -m bot backup`: a consistent copy of the SQLite database, safe while the bot runs.

SQLite's online backup API copies the database page by page under a read transaction, so the
copy is a snapshot of one moment even while the bot keeps writing (WAL mode). The copy is
written to a temporary file, checked with `PRAGMA quick_check`, then renamed into place: a
backup that exists is a whole, readable database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.storage.store import StorageError, mask_url, sqlite_file


def default_target(source: Path, now: datetime | None = None) -> Path:
    """`<folder of the database>/backups/<name>-<UTC time>.sqlite3`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return source.parent / "backups" / f"{source.stem}-{stamp}.sqlite3"


def backup_database(url: str, target: Path | None = None) -> Path:
    """Copy the SQLite database of `url` to `target` (default: `default_target`); return it."""
    source = sqlite_file(make_url(url))
    if source is None:
        raise StorageError(
            f"`backup` copies SQLite databases; {mask_url(url)} is not one: use the "
            "database's own tool (for PostgreSQL, pg_dump)"
        )
    if not source.is_file() or source.stat().st_size == 0:
        raise StorageError(f"there is no database to back up at {source}")
    target = target or default_target(source)
    if target.exists():
        raise StorageError(f"{target} exists already: choose another --to file")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        _copy(source, tmp)
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot back up {source} to {target}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _copy(source: Path, tmp: Path) -> None:
    """The online backup into `tmp`, fsynced and checked."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    with contextlib.closing(reader) as src, contextlib.closing(sqlite3.connect(tmp)) as dst:
        src.backup(dst)
        rows = [r[0] for r in dst.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            raise sqlite3.DatabaseError(f"the copy fails quick_check: {rows[0]}")
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
