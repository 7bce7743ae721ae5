"""The storage module: migrations, SQLite setup, queries, failures, durability, concurrency."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.storage import migrate, schema
from bot.storage.cli import format_unanswered
from bot.storage.store import StorageError, Store, UnansweredRow, mask_url

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)


def url_for(path: Path) -> str:
    """An aiosqlite URL for a database file."""
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folder" / "scamwise.sqlite3"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A store on SQLite, then on a real PostgreSQL server."""
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


@pytest.fixture
async def sqlite_store(db_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(url_for(db_path))
    yield opened
    await opened.close()


async def table_names(store: Store) -> set[str]:
    async with store.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def count_rows(store: Store, table: sa.Table) -> int:
    async with store.engine.connect() as conn:
        return int(
            (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()
        )


# --- schema and migrations ------------------------------------------------------------------


async def test_first_open_creates_folder_tables_and_version(db_path: Path) -> None:
    assert not db_path.parent.exists()
    async with await Store.open(url_for(db_path)) as store:
        assert db_path.is_file()
        assert {"alembic_version", "unanswered", "feedback"} <= await table_names(store)
        assert await store.schema_version() == int(migrate.head_revision())
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (migrate.head_revision(),)
        ]


# Upgrades, newer databases and failing revisions: tests/test_migrations.py.


async def test_sqlite_connections_use_wal_full_sync_foreign_keys_and_timeout(
    sqlite_store: Store,
) -> None:
    async with sqlite_store.engine.connect() as conn:
        pragma = {
            name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


# --- unanswered questions -------------------------------------------------------------------


async def test_top_unanswered_folds_case_and_whitespace_and_orders_by_count(store: Store) -> None:
    await store.record_unanswered("Is this a SCAM?", "e1", 0.1, "low", at=NOW - timedelta(hours=5))
    await store.record_unanswered("  is   this a scam? ", "e2", 0.3, "declined", at=NOW)
    await store.record_unanswered(
        "IS THIS\ta scam?", "e3", 0.5, "ambiguous", at=NOW - timedelta(hours=1)
    )
    await store.record_unanswered("Straße", "s1", 0.2, "low", at=NOW - timedelta(hours=2))
    await store.record_unanswered("STRASSE", "s2", 0.4, "low", at=NOW - timedelta(hours=3))
    await store.record_unanswered("single", None, 0.9, "low", at=NOW - timedelta(hours=4))
    rows = await store.top_unanswered()
    assert [(r.count, r.best_id) for r in rows] == [(3, "e2"), (2, "s1"), (1, None)]
    first = rows[0]
    assert first.question == "  is   this a scam? "  # the most recent wording
    assert first.mean_score == pytest.approx(0.3)
    assert first.last_seen == NOW
    assert first.last_seen.tzinfo is not None


async def test_ties_are_broken_by_most_recent(store: Store) -> None:
    for i, hours in enumerate([30, 10, 20]):
        await store.record_unanswered(f"q{i}", None, 0.0, "low", at=NOW - timedelta(hours=hours))
    assert [r.question for r in await store.top_unanswered()] == ["q1", "q2", "q0"]


async def test_since_days_and_limit_filter_rows(store: Store) -> None:
    await store.record_unanswered("old and new", "old", 0.0, "low", at=NOW - timedelta(days=40))
    await store.record_unanswered("old and new", "old", 0.0, "low", at=NOW - timedelta(days=39))
    await store.record_unanswered("Old and new", "new", 1.0, "low", at=NOW - timedelta(days=1))
    await store.record_unanswered("recent", None, 0.5, "low", at=NOW - timedelta(days=2))
    everything = await store.top_unanswered()
    assert [(r.question, r.count) for r in everything] == [("Old and new", 3), ("recent", 1)]
    recent = await store.top_unanswered(since_days=7)
    assert [(r.question, r.count, r.mean_score) for r in recent] == [
        ("Old and new", 1, 1.0),
        ("recent", 1, 0.5),
    ]
    assert len(await store.top_unanswered(limit=1)) == 1
    assert await store.top_unanswered(since_days=0) == []


async def test_timestamps_round_trip_as_the_same_instant_in_utc(store: Store) -> None:
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5)))
    await store.record_unanswered("tz", None, 0.0, "low", at=at)
    (row,) = await store.top_unanswered()
    assert row.last_seen == at
    assert row.last_seen.utcoffset() == timedelta(0)


async def test_long_questions_are_cut_and_bad_status_refused(store: Store) -> None:
    await store.record_unanswered("x" * 5000, None, 0.0, "declined")
    (row,) = await store.top_unanswered()
    assert len(row.question) == schema.QUESTION_MAX_CHARS
    with pytest.raises(ValueError, match="status"):
        await store.record_unanswered("q", None, 0.0, "answered")
    with pytest.raises(ValueError, match="days"):
        await store.top_unanswered(since_days=-1)
    assert await count_rows(store, schema.unanswered) == 1


async def test_unanswered_table_has_no_user_column(store: Store) -> None:
    for table in (schema.unanswered, schema.feedback):
        assert not any("user" in column.name for column in table.columns)
    assert schema.unanswered not in schema.USER_TABLES


# --- feedback -------------------------------------------------------------------------------


async def test_feedback_summary_counts_votes_per_entry(store: Store) -> None:
    for entry, vote in [("a", 1), ("a", 1), ("a", -1), ("b", -1), ("b", -1), ("c", 1)]:
        await store.record_feedback(entry, vote)
    await store.record_feedback("c", -1, at=NOW - timedelta(days=10))
    rows = await store.feedback_summary()
    assert [(r.entry_id, r.ups, r.downs) for r in rows] == [
        ("b", 0, 2),
        ("a", 2, 1),
        ("c", 1, 1),
    ]
    recent = await store.feedback_summary(since_days=5)
    assert [(r.entry_id, r.ups, r.downs) for r in recent][-1] == ("c", 1, 0)


@pytest.mark.parametrize("vote", [0, 2, -2, True, 1.5])
async def test_votes_other_than_plus_or_minus_one_are_refused(store: Store, vote: object) -> None:
    with pytest.raises(ValueError, match="vote"):
        await store.record_feedback("a", vote)  # type: ignore[arg-type]
    assert await store.feedback_summary() == []


# --- forget_user and prune ------------------------------------------------------------------


async def test_forget_user_deletes_only_that_users_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = sa.MetaData()
    answers = sa.Table(
        "test_answers",
        extra,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
    )
    scores = sa.Table("test_scores", extra, sa.Column("user_id", sa.BigInteger, primary_key=True))
    big_id = 9_000_000_001  # Telegram ids exceed 32 bits
    async with store.engine.begin() as conn:
        await conn.run_sync(extra.create_all)
        await conn.execute(sa.insert(answers), [{"user_id": u} for u in (big_id, big_id, 7, 7, 7)])
        await conn.execute(sa.insert(scores), [{"user_id": big_id}, {"user_id": 7}])
    await store.record_feedback("a", 1)
    monkeypatch.setattr(schema, "USER_TABLES", [answers, scores])
    assert await store.forget_user(big_id) == 3
    assert await store.forget_user(big_id) == 0
    async with store.engine.connect() as conn:
        left = (await conn.execute(sa.select(answers.c.user_id))).scalars().all()
        left_scores = (await conn.execute(sa.select(scores.c.user_id))).scalars().all()
    assert (sorted(left), left_scores) == ([7, 7, 7], [7])
    assert await count_rows(store, schema.feedback) == 1


async def test_prune_deletes_old_rows_from_both_logs(store: Store) -> None:
    old = NOW - timedelta(days=100)
    await store.record_unanswered("old", None, 0.0, "low", at=old)
    await store.record_unanswered("new", None, 0.0, "low")
    await store.record_feedback("a", 1, at=old)
    await store.record_feedback("a", -1, at=old)
    await store.record_feedback("a", 1)
    assert await store.prune(older_than_days=30) == 3
    assert [r.question for r in await store.top_unanswered()] == ["new"]
    assert [(r.ups, r.downs) for r in await store.feedback_summary()] == [(1, 0)]
    assert await store.prune(older_than_days=30) == 0


# --- failures -------------------------------------------------------------------------------


def modes_are_enforced(path: Path) -> bool:
    """False when this process may write a 0o444 file anyway (root, CAP_DAC_OVERRIDE)."""
    try:
        with path.open("r+b"):
            return False
    except PermissionError:
        return True


async def test_read_only_database_raises_storage_error_naming_the_path(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    path = folder / "scamwise.sqlite3"
    async with await Store.open(url_for(path)):
        pass
    for leftover in folder.glob("scamwise.sqlite3-*"):
        leftover.unlink()
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        if not modes_are_enforced(path):  # e.g. root: use a path whose parent is a regular file
            path = path / "inside-a-file.sqlite3"
        with pytest.raises(StorageError) as info:
            await Store.open(url_for(path))
    finally:
        folder.chmod(0o755)
        (folder / "scamwise.sqlite3").chmod(0o644)
    assert str(path) in str(info.value)
    if path.name == "scamwise.sqlite3":
        assert "read-only" in str(info.value)


async def test_a_file_that_is_not_a_database_raises_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("These are notes, not a database.\n" * 50)
    with pytest.raises(StorageError, match="not an SQLite database") as info:
        await Store.open(url_for(path))
    assert str(path) in str(info.value)
    assert path.read_text().startswith("These are notes")


async def test_a_locked_database_raises_storage_error(db_path: Path) -> None:
    async with await Store.open(url_for(db_path)):
        pass
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StorageError, match="locked"):
            await Store.open(url_for(db_path), busy_timeout_s=0.2)
        assert time.monotonic() - started < 5
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.parametrize("url", ["nonsense", "sqlite:///sync-driver.db", "nosuchdb+x://h/db"])
async def test_bad_urls_raise_storage_error(url: str) -> None:
    with pytest.raises(StorageError, match="cannot open the database") as info:
        await Store.open(url)
    assert url.split("/")[0] in str(info.value)


async def test_passwords_are_masked_in_errors() -> None:
    url = "postgresql+asyncpg://bob:hunter2@127.0.0.1:1/scamwise"
    with pytest.raises(StorageError) as info:
        await Store.open(url)
    assert "hunter2" not in str(info.value)
    assert "bob:***@127.0.0.1:1/scamwise" in str(info.value)
    assert mask_url("not a url://u:pw@host") == "not a url://u:***@host"


async def test_failed_writes_raise_storage_error(store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(sa.text("DROP TABLE feedback"))
    with pytest.raises(StorageError, match="cannot write to the database"):
        await store.record_feedback("a", 1)


def idle_connections(store: Store) -> int:
    """Connections resting in the engine's pool."""
    pool = store.engine.sync_engine.pool
    assert isinstance(pool, sa.pool.QueuePool)
    return pool.checkedin()


async def test_context_manager_closes_the_pool(db_path: Path) -> None:
    async with await Store.open(url_for(db_path)) as store:
        await store.record_feedback("a", 1)
        assert idle_connections(store) >= 1
    assert idle_connections(store) == 0


# --- durability and concurrency -------------------------------------------------------------

CHILD = """
import asyncio, sys
from bot.storage import Store

async def main() -> None:
    store = await Store.open(sys.argv[1])
    i = 0
    while True:
        await store.record_unanswered(f"durable {i}", None, 0.5, "low")
        print(f"acknowledged {i}", flush=True)
        i += 1

asyncio.run(main())
"""


async def test_acknowledged_writes_survive_sigkill(db_path: Path) -> None:
    wanted = 60
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url_for(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    acked: list[int] = []
    try:
        while len(acked) < wanted:
            line = child.stdout.readline()
            assert line, f"child exited early: {child.stderr.read() if child.stderr else ''}"
            acked.append(int(line.split()[1]))
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    async with await Store.open(url_for(db_path)) as store:
        rows = await store.top_unanswered(limit=10_000)
    stored = {r.question for r in rows}
    assert {f"durable {i}" for i in acked} <= stored
    assert len(stored) >= wanted


async def test_200_concurrent_writes_all_land(store: Store) -> None:
    await asyncio.gather(
        *(store.record_unanswered(f"concurrent {i}", None, i / 200, "low") for i in range(200))
    )
    await asyncio.gather(*(store.record_feedback("e", 1 if i % 2 else -1) for i in range(200)))
    assert await count_rows(store, schema.unanswered) == 200
    assert len(await store.top_unanswered(limit=1000)) == 200
    assert [(r.ups, r.downs) for r in await store.feedback_summary()] == [(100, 100)]


# --- the `unanswered` report ----------------------------------------------------------------


def test_format_unanswered_aligns_columns_and_cuts_questions() -> None:
    seen = datetime(2030, 5, 6, 7, 8, tzinfo=UTC)
    rows = [
        UnansweredRow("Is this\njob offer a scam? " + "very " * 20, 12, seen, "jobs-fee", 0.41234),
        UnansweredRow("short", 3, seen, None, 0.5),
    ]
    lines = format_unanswered(rows).splitlines()
    assert lines[0].split() == ["question", "count", "best", "id", "mean", "score", "last", "seen"]
    assert set(lines[1]) == {"-", " "}
    first, second = lines[2], lines[3]
    assert "\n" not in first and first.startswith("Is this job offer a scam? very")
    question_cell = first[: first.index("  ", 58)]
    assert len(question_cell) == 60 and question_cell.endswith("…")
    for header in ("count", "best id", "mean score", "last seen"):
        column = lines[0].index(header)
        assert first[column - 1] == " " and second[column - 1] == " "
    assert first.index("12") + 2 == second.index("3") + 1  # counts are right-aligned
    assert " - " in second and "0.412" in first and "2030-05-06 07:08 UTC" in second


def test_format_unanswered_with_no_rows() -> None:
    assert format_unanswered([]) == "No unanswered questions recorded."


# --- user regions ---------------------------------------------------------------------------


async def test_region_is_stored_replaced_and_forgotten(store: Store) -> None:
    big_id = 9_000_000_001
    assert await store.get_region(big_id) is None
    await store.set_region(big_id, "uk")
    await store.set_region(7, "hk")
    await store.set_region(big_id, "au")  # a second choice replaces the first
    assert (await store.get_region(big_id), await store.get_region(7)) == ("au", "hk")
    assert await store.forget_user(big_id) == 1
    assert (await store.get_region(big_id), await store.get_region(7)) == (None, "hk")


async def test_language_is_stored_replaced_and_forgotten(store: Store) -> None:
    big_id = 9_000_000_002
    assert await store.get_language(big_id) is None
    await store.set_language(big_id, "zh-Hans")
    await store.set_language(8, "en")
    await store.set_language(big_id, "zh-Hant")  # a second choice replaces the first
    assert (await store.get_language(big_id), await store.get_language(8)) == ("zh-Hant", "en")
    assert await store.forget_user(big_id) == 1
    assert (await store.get_language(big_id), await store.get_language(8)) == (None, "en")


def test_format_unanswered_lines_up_chinese_questions() -> None:
    from bot.storage.cli import display_width

    seen = datetime(2030, 5, 6, 7, 8, tzinfo=UTC)
    rows = [
        UnansweredRow("刷单返利是真的吗", 2, seen, "task-scam", 0.4),
        UnansweredRow("is 刷单 legit", 1, seen, None, 0.3),
        UnansweredRow("高薪招聘" * 30, 1, seen, None, 0.3),
    ]
    lines = format_unanswered(rows).splitlines()
    ends = set()
    for line in [lines[0], *lines[2:]]:
        question, count = re.split(r"\s{2,}", line)[:2]
        assert display_width(question) <= 60
        ends.add(display_width(line[: line.index(count, len(question)) + len(count)]))
    assert len(ends) == 1  # the count column ends in the same terminal column on every line
    assert lines[4].split("  ")[0].endswith("…")
