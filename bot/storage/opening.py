"""Opening a database: errors that say what to do, SQLite's file checks and connection setup.

Store (bot.storage.store) uses these when it opens an engine; they hold no state of their own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import ScamWiseError
from bot.storage import schema

DEFAULT_URL = "sqlite+aiosqlite:///data/scamwise.sqlite3"
WRITE_OPTION = "scamwise_write"  # marks write transactions (BEGIN IMMEDIATE on SQLite)


class StorageError(ScamWiseError):
    """The database cannot be opened, migrated, read or written."""


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


_HINTS = (
    (
        ("malformed",),
        "the database file is damaged; move it aside and restore the latest backup (see "
        "README, Backups)",
    ),
    (
        ("not a database", "encrypted"),
        "the file is not an SQLite database; move it aside or point the URL at another file",
    ),
    (
        ("locked", "busy"),
        "another process holds the database locked; stop that process or retry in a moment",
    ),
    (
        ("readonly", "read-only", "permission"),
        "the database is read-only; make the file and its folder writable by this user",
    ),
)


def advice(exc: BaseException) -> str:
    """What a person can do about a failure to open the database."""
    text = str(exc).lower()
    if isinstance(exc, schema.NewerSchemaError):
        return f"{exc}; upgrade ScamWise or point the URL at another database"
    if isinstance(exc, ImportError):
        return f"its driver is not installed ({exc}); install it or use sqlite+aiosqlite"
    if isinstance(exc, sa.exc.ArgumentError | sa.exc.InvalidRequestError):
        return f"the URL is not valid ({exc}); use e.g. {DEFAULT_URL}"
    for needles, hint in _HINTS:
        if any(needle in text for needle in needles):
            return hint
    if isinstance(exc, OSError) or "unable to open" in text:
        return f"the file cannot be created or opened ({exc}); check the path and its folder"
    return f"{exc}; check the URL and that the database server is reachable"


def sqlite_file(url: URL) -> Path | None:
    """The database file of an SQLite URL (None for other databases and in-memory ones)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):  # a URI filename: file:/path?mode=ro
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database)


def prepare_sqlite_path(url: URL, create_empty: bool) -> None:
    """Create the parent folder of an SQLite file; refuse an empty file that should hold data.

    A zero-byte database file is what a failed copy, a full disk or a mistaken `> file` leaves:
    opening it would silently start a new empty database, and every class and quiz result
    would be gone without a word. Only SCAMWISE_DATABASE_CREATE_EMPTY=true accepts it.
    """
    path = sqlite_file(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not create_empty and path.is_file() and path.stat().st_size == 0:
        raise EmptyDatabaseError(
            f"the database file {path} is empty (0 bytes) although it should hold ScamWise's "
            "data: restore it from a backup (`python -m bot backup` makes them), or set "
            "SCAMWISE_DATABASE_CREATE_EMPTY=true to start a new, empty database in it"
        )


class EmptyDatabaseError(StorageError):
    """An SQLite database file exists but holds nothing."""


class DamagedDatabaseError(StorageError):
    """SQLite's quick_check found damage in the database file."""


def quick_check(conn: sa.Connection, url: str) -> None:
    """Run SQLite's `PRAGMA quick_check` (seconds for a big file) and refuse a damaged file."""
    rows = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
    if rows != ["ok"]:
        where = sqlite_file(make_url(url)) or mask_url(url)
        found = rows[0].replace("*** in database main ***", "").strip().splitlines() or ["?"]
        raise DamagedDatabaseError(
            f"the database file {where} is damaged (SQLite quick_check: {found[0][:160]}): stop "
            "the bot, move the file aside and restore the latest backup (see README, "
            "Backups); or move it aside to start with an empty database"
        )


# --- SQLite setup hook: the only SQLite-specific SQL in the storage module. -----------------
def install_sqlite_hooks(engine: AsyncEngine, busy_timeout_s: float) -> None:
    """Set WAL, FULL sync, foreign keys and a busy timeout on each new SQLite connection."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver must not BEGIN/COMMIT on its own
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL survives a killed process (kill -9 loses nothing committed);
            # only a power cut can lose the last commits. FULL would fsync on every commit,
            # about 6 ms a write on these machines.
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# --- end of SQLite setup hook. ---------------------------------------------------------------
