"""`python -m bot migrate-db FROM_URL TO_URL`: SQLite into a real PostgreSQL, row for row."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.storage import schema
from bot.storage.store import Claim, Store
from tests import legacy_schema as legacy
from tests.pg_server import PostgresServer


async def cli(argv: list[str]) -> int:
    """`python -m bot …` in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(main, argv)


async def counts(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t.name: int(
                    (await conn.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
                )
                for t in schema.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    """An SQLite database made by the hand-rolled code (version 5), used a while since."""
    path = tmp_path / "data" / "scamwise.sqlite3"
    path.parent.mkdir()
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: legacy.build(c, 5))
    await engine.dispose()
    async with await Store.open(url) as store:  # the bot ran on it after the upgrade
        assert await store.record_feedback("task-scam", -1, voter=5)
        assert await store.claim_update(42) is Claim.NEW
        await store.finish_update(42)
        rows = [{"question": f"q {n}", "question_key": f"q {n}", "best_id": None, "score": 0.1,
                 "status": "low", "created_at": legacy.T0} for n in range(1500)]  # fmt: skip
        async with store.begin_write() as conn:  # more rows than one batch of the copy
            await conn.execute(sa.insert(schema.unanswered), rows)
            waiting = {"poll_id": "p-9", "user_id": 7, "first_name": "Mei", "option": 1,
                       "voted_at": legacy.T0}  # fmt: skip
            await conn.execute(sa.insert(schema.group_quiz_pending_votes), [waiting])
    return url


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    return pg_server.create_database(f"copy_{uuid.uuid4().hex[:12]}")


async def test_sqlite_into_postgresql_copies_every_row(
    sqlite_url: str, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = await counts(sqlite_url)
    assert before["unanswered"] == 1502 and before["group_quiz_votes"] == 1
    assert all(before[t.name] for t in schema.metadata.sorted_tables), before
    assert await cli(["migrate-db", sqlite_url, pg_url]) == 0
    out = capsys.readouterr().out
    assert f"copied {sum(before.values())} rows" in out
    assert "unanswered                1502 rows" in out
    assert await counts(pg_url) == before
    async with await Store.open(pg_url) as store:
        # the salt came along: the same user still has one vote per entry
        assert not await store.record_feedback("task-scam", 1, voter=5)
        assert await store.claim_update(42) is Claim.DONE  # handled before the move
        assert await store.get_language(7) == "zh-Hant" and await store.get_region(7) == "hk"
        async with store.begin_write() as conn:  # ids continue after the copied ones
            run = sa.insert(schema.group_quiz_runs).values(
                chat_id=-9, quiz_id="basics", started_at=legacy.T0
            )
            assert (await conn.execute(run)).inserted_primary_key[0] == 2
        await store.record_unanswered("after the move", None, 0.1, "low")


async def test_a_target_with_rows_is_refused_unless_forced(
    sqlite_url: str, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli(["migrate-db", sqlite_url, pg_url]) == 0
    capsys.readouterr()
    async with await Store.open(pg_url) as store:
        await store.record_unanswered("only in the target", None, 0.1, "low")
    copied = await counts(pg_url)
    assert await cli(["migrate-db", sqlite_url, pg_url]) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and "unanswered (1503 rows)" in err and "--force" in err
    assert pg_url in err
    assert await counts(pg_url) == copied  # untouched
    assert await cli(["migrate-db", sqlite_url, pg_url, "--force"]) == 0
    assert await counts(pg_url) == await counts(sqlite_url)  # replaced, not doubled


async def test_a_failure_half_way_leaves_the_target_empty(
    sqlite_url: str, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sqlite_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as raw:  # an answer whose attempt is gone (foreign keys off)
        raw.execute("INSERT INTO quiz_answers VALUES (999, 0, 1, 1, '2026-11-30 10:00:00.000000')")
    assert await cli(["migrate-db", sqlite_url, pg_url]) == 1
    err = capsys.readouterr().err
    assert "nothing was written" in err and "quiz_answers" in err
    assert set((await counts(pg_url)).values()) == {0}


async def test_urls_in_errors_hide_the_password(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    unreachable = "postgresql+asyncpg://scamwise:s3cretpw@127.0.0.1:1/scamwise"
    assert await cli(["migrate-db", sqlite_url, unreachable]) == 1
    err = capsys.readouterr().err
    assert "s3cretpw" not in err and "scamwise:***@127.0.0.1:1/scamwise" in err
    assert await cli(["migrate-db", sqlite_url, sqlite_url]) == 1
    assert "same database" in capsys.readouterr().err
