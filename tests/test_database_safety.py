"""A damaged or emptied SQLite file is noticed, and `python -m bot backup` copies a live one."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.doctor import check_database
from bot.settings import load_settings
from bot.storage.store import DamagedDatabaseError, EmptyDatabaseError, Store
from tests import legacy_schema


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def filled(path: Path, rows: int = 1500) -> None:
    """A ScamWise database with enough rows to span many pages."""
    await (await Store.open(url(path))).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO unanswered (question, question_key, score, status, created_at) "
            "VALUES (?, ?, 0.2, 'declined', '2026-12-01 10:00:00.000000')",
            [(f"question number {i} " * 4,) * 2 for i in range(rows)],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # into the main file, where damage() hits
    conn.close()


def damage(path: Path) -> None:
    """Zero 64 bytes inside a late b-tree page: the header stays valid, the tree does not."""
    pages = path.stat().st_size // 4096
    with path.open("r+b") as fh:
        fh.seek(4096 * (pages - 3) + 2000)
        fh.write(b"\0" * 64)


async def test_a_damaged_file_is_refused_at_start_with_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    await filled(db)
    damage(db)
    with sqlite3.connect(db) as conn:  # the damage is real, and SQLite opens the file happily
        assert conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    with pytest.raises(DamagedDatabaseError) as caught:
        await Store.open(url(db))
    message = str(caught.value)
    assert str(db) in message and "damaged" in message and "backup" in message


def test_doctor_fails_the_database_check_on_a_damaged_file(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    asyncio.run(filled(db, 1500))
    check = check_database(load_settings(database_url=url(db)))
    assert check.ok and "quick_check ok" in check.detail
    damage(db)
    check = check_database(load_settings(database_url=url(db)))
    assert not check.ok
    assert "damaged" in check.detail and str(db) in check.detail
    assert "backup" in check.fix


async def test_a_zero_byte_file_is_refused_unless_told_to_create(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    db.write_bytes(b"")
    with pytest.raises(EmptyDatabaseError) as caught:
        await Store.open(url(db))
    assert str(db) in str(caught.value) and "SCAMWISE_DATABASE_CREATE_EMPTY" in str(caught.value)
    assert db.stat().st_size == 0  # left as it was
    store = await Store.open(url(db), create_empty=True)
    try:
        assert await store.schema_version() >= 2
    finally:
        await store.close()
    missing = tmp_path / "new" / "db.sqlite3"  # a first start (no file yet) is normal
    await (await Store.open(url(missing))).close()


async def test_backup_while_the_bot_writes_is_a_whole_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "data" / "db.sqlite3"
    await filled(db, 300)
    store = await Store.open(url(db))  # the running bot keeps writing meanwhile
    monkeypatch.setenv("SCAMWISE_DATABASE_URL", url(db))
    target = tmp_path / "copy.sqlite3"
    try:
        writing = asyncio.gather(*(store.record_feedback("task-scam", 1) for _ in range(50)))
        code = await asyncio.to_thread(main, ["backup", "--to", str(target)])
        await writing
    finally:
        await store.close()
    assert code == 0 and f"backup written to {target}" in capsys.readouterr().out
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert conn.execute("SELECT COUNT(*) FROM unanswered").fetchone() == (300,)
        (votes,) = conn.execute("SELECT COUNT(*) FROM feedback").fetchone()
        assert 0 <= votes <= 50
    assert main(["backup", "--to", str(target)]) == 1  # never overwrites a backup
    assert "exists already" in capsys.readouterr().err
    assert main(["backup"]) == 0  # the default: <database folder>/backups/<name>-<time>
    (made,) = (db.parent / "backups").glob("db-*.sqlite3")
    assert made.stat().st_size > 0


async def test_the_feedback_voters_migration_upgrades_an_older_database(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:  # feedback as version 2 left it: no voter column
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (2)")
        conn.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY, entry_id VARCHAR(200) NOT NULL, "
            "vote SMALLINT NOT NULL, created_at DATETIME NOT NULL)"
        )
        conn.execute("INSERT INTO feedback VALUES (1, 'task-scam', 1, '2026-11-30 10:00:00')")
    engine = sa.create_engine(f"sqlite:///{db}")  # and the quiz tables of version 2
    with engine.begin() as sync:
        legacy_schema.metadata.create_all(sync, tables=legacy_schema.QUIZ_TABLES)
    engine.dispose()
    store = await Store.open(url(db))
    try:
        assert await store.record_feedback("task-scam", -1, voter=5)
        assert not await store.record_feedback("task-scam", 1, voter=5)  # one vote per user
        rows = await store.feedback_summary()
        assert [(r.entry_id, r.ups, r.downs) for r in rows] == [("task-scam", 1, 1)]
    finally:
        await store.close()
    with sqlite3.connect(db) as conn:
        (salt,) = conn.execute("SELECT value FROM stored_secrets").fetchone()
    assert len(salt) == 64  # generated once, kept with the data
