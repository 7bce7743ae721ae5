"""Alembic migrations: a fresh database, databases made by the hand-rolled migrations 0-5,
newer databases refused, a failing revision rolled back, and the tables matching the code."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage import migrate, schema
from bot.storage.store import StorageError, Store, sqlite_file
from tests import legacy_schema as legacy

HEAD = int(migrate.head_revision())


async def run_sync_on(url: str, fn):  # type: ignore[no-untyped-def]
    """Run fn(sync_connection) in one committed transaction on a plain engine."""
    path = sqlite_file(make_url(url))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def table_counts(conn: sa.Connection) -> dict[str, int]:
    names = sa.inspect(conn).get_table_names()
    return {
        name: int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one())
        for name in names
    }


def schema_differences(conn: sa.Connection) -> list[object]:
    """What Alembic's autogenerate would change to make the database match schema.metadata."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, schema.metadata))


def test_revisions_are_one_numbered_line() -> None:
    script = migrate.script_directory()
    revisions = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in revisions] == [f"{n:04d}" for n in range(1, HEAD + 1)]
    assert all(r.down_revision == (f"{n:04d}" if n else None) for n, r in enumerate(revisions))
    assert tuple(r.revision for r in revisions[:5]) == migrate.LEGACY_REVISIONS
    assert len(legacy.MIGRATIONS) == len(migrate.LEGACY_REVISIONS)


async def test_a_fresh_database_gets_every_revision_and_matches_the_code(
    database_url: str,
) -> None:
    async with await Store.open(database_url) as store:
        assert await store.schema_version() == HEAD
    differences = await run_sync_on(database_url, schema_differences)
    assert differences == []
    tables = await run_sync_on(database_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert tables == {t.name for t in schema.metadata.sorted_tables} | {"alembic_version"}


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4, 5])
async def test_a_database_of_the_hand_rolled_migrations_is_upgraded_keeping_its_rows(
    database_url: str, version: int
) -> None:
    before = await run_sync_on(database_url, lambda c: legacy.build(c, version))
    async with await Store.open(database_url) as store:
        assert await store.schema_version() == HEAD
        if version >= 5:
            assert await store.get_language(7) == "zh-Hant"
        if version >= 4:
            assert await store.get_region(7) == "hk"
        if version >= 3:  # the stored salt is kept: votes stay one per user and entry
            await store._load_salt()
            assert store._salt == legacy.SALT.encode()
        if version >= 1:
            summary = {r.entry_id: (r.ups, r.downs) for r in await store.feedback_summary()}
            assert summary == {"task-scam": (1, 0), "romance": (0, 1)}
            assert await store.record_feedback("task-scam", 1, voter=5)
            assert not await store.record_feedback("task-scam", -1, voter=5)
        if version >= 2:  # new rows get ids after the old ones
            async with store.begin_write() as conn:
                run = sa.insert(schema.group_quiz_runs).values(
                    chat_id=-5, quiz_id="basics", started_at=legacy.T0
                )
                new_id = (await conn.execute(run)).inserted_primary_key[0]
            assert new_id == 2
    after = await run_sync_on(database_url, table_counts)
    assert "schema_version" not in after
    for name, count in before.items():
        extra = {"feedback": 1, "group_quiz_runs": 1}.get(name, 0) if version >= 2 else 0
        if name == "feedback" and version == 1:
            extra = 1
        assert after[name] == count + extra, name
    assert await run_sync_on(database_url, schema_differences) == []


async def test_runs_left_open_by_crashes_are_closed_but_the_newest_of_each_chat(
    database_url: str,
) -> None:
    def crashed_runs(conn: sa.Connection) -> None:
        legacy.build(conn, 5)  # run 1: chat -100, open
        runs = legacy.group_quiz_runs
        conn.execute(sa.insert(runs), [
            {"id": 2, "chat_id": -100, "quiz_id": "basics", "started_at": legacy.T0,
             "finished_at": None},
            {"id": 3, "chat_id": -100, "quiz_id": "basics", "started_at": legacy.T0,
             "finished_at": legacy.T0},
            {"id": 4, "chat_id": -300, "quiz_id": "basics", "started_at": legacy.T0,
             "finished_at": None},
        ])  # fmt: skip

    await run_sync_on(database_url, crashed_runs)
    async with await Store.open(database_url):
        pass
    query = sa.text("SELECT id, finished_at IS NULL FROM group_quiz_runs ORDER BY id")
    rows = await run_sync_on(database_url, lambda c: [tuple(r) for r in c.execute(query)])
    assert rows == [(1, False), (2, True), (3, False), (4, True)]


async def test_the_oldest_feedback_table_gains_its_voter_column(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:  # feedback as it was before migration 3 was written
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (1)")
        conn.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY, entry_id VARCHAR(200) NOT NULL, "
            "vote SMALLINT NOT NULL, created_at DATETIME NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE unanswered (id INTEGER PRIMARY KEY, question VARCHAR(1000) NOT NULL, "
            "question_key VARCHAR(1000) NOT NULL, best_id VARCHAR(200), score FLOAT NOT NULL, "
            "status VARCHAR(16) NOT NULL, created_at DATETIME NOT NULL)"
        )
        conn.execute("INSERT INTO feedback VALUES (1, 'task-scam', 1, '2026-11-30 10:00:00')")
    async with await Store.open(f"sqlite+aiosqlite:///{db}") as store:
        assert await store.schema_version() == HEAD
        assert await store.record_feedback("task-scam", -1, voter=5)
        assert not await store.record_feedback("task-scam", 1, voter=5)
        rows = await store.feedback_summary()
    assert [(r.entry_id, r.ups, r.downs) for r in rows] == [("task-scam", 1, 1)]


async def test_reopening_runs_nothing_and_keeps_rows(database_url: str) -> None:
    async with await Store.open(database_url) as store:
        await store.record_unanswered("kept question", "e1", 0.2, "low")
    async with await Store.open(database_url) as store:
        assert [r.question for r in await store.top_unanswered()] == ["kept question"]
        assert await store.schema_version() == HEAD


async def test_a_database_newer_than_the_code_is_refused(database_url: str) -> None:
    async with await Store.open(database_url):
        pass
    bump = sa.text("UPDATE alembic_version SET version_num = '0099'")
    await run_sync_on(database_url, lambda c: c.execute(bump))
    with pytest.raises(StorageError, match="newer") as caught:
        await Store.open(database_url)
    assert "0099" in str(caught.value) and f"{HEAD:04d}" in str(caught.value)
    assert "upgrade ScamWise" in str(caught.value)


async def test_a_hand_rolled_version_beyond_5_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "odd.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version VALUES (9)")
    with pytest.raises(StorageError, match="schema version 9 is newer") as caught:
        await Store.open(f"sqlite+aiosqlite:///{db}")
    assert str(db) in str(caught.value)
    with sqlite3.connect(db) as conn:  # left as it was
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(9,)]


BROKEN = '''
"""A revision that fails half-way."""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("SELECT * FROM no_such_table")
'''

ADDED = '''
"""A new table."""
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("quiz_progress", sa.Column("user_id", sa.BigInteger, primary_key=True))
'''


def with_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Point the migrations at a copy of the shipped ones plus one more revision."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    rev, down = f"{HEAD + 1:04d}", f"{HEAD:04d}"
    (copy / "versions" / f"{rev}_extra.py").write_text(text.format(rev=rev, down=down))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)


async def test_a_failing_revision_is_rolled_back_entirely(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Store.open(database_url) as store:
        await store.record_feedback("e1", 1)
    with_revision(tmp_path, monkeypatch, BROKEN)
    with pytest.raises(StorageError, match="cannot open the database"):
        await Store.open(database_url)
    tables = await run_sync_on(database_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert "half_done" not in tables
    version = sa.text("SELECT version_num FROM alembic_version")
    assert await run_sync_on(database_url, lambda c: c.execute(version).scalar_one()) == (
        f"{HEAD:04d}"
    )


async def test_an_added_revision_runs_once_on_an_existing_database(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with await Store.open(database_url) as store:
        await store.record_feedback("e1", 1)
    with_revision(tmp_path, monkeypatch, ADDED)
    for _ in range(2):
        async with await Store.open(database_url) as store:
            assert await store.schema_version() == HEAD + 1
            assert [r.entry_id for r in await store.feedback_summary()] == ["e1"]
    tables = await run_sync_on(database_url, lambda c: set(sa.inspect(c).get_table_names()))
    assert "quiz_progress" in tables


async def test_migrations_do_not_depend_on_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no alembic.ini, no migrations folder here
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}") as store:
        assert await store.schema_version() == HEAD
    assert migrate.MIGRATIONS_DIR.is_absolute()
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()


async def test_replicas_starting_at_once_migrate_once(pg_server) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import uuid

    url = pg_server.create_database(f"race_{uuid.uuid4().hex[:12]}")
    stores = await asyncio.gather(*(Store.open(url) for _ in range(4)))
    try:
        assert [await s.schema_version() for s in stores] == [HEAD] * 4
    finally:
        for store in stores:
            await store.close()
