"""State shared by replicas: update ids claimed once in the database, and one replica (the
holder of a PostgreSQL advisory lock) running the timed jobs, with take-over when it dies."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import Services
from bot.storage import schema
from bot.storage.leader import Leadership
from bot.storage.store import UPDATE_LEASE_S, Claim, Store
from tests.pg_server import PostgresServer

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
POLL_S = 0.2  # the tests' election pace (production: LEADER_POLL_S, 15 s)


@pytest.fixture
async def two_stores(database_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two replicas would open it."""
    first = await Store.open(database_url)
    second = await Store.open(database_url)
    yield first, second
    await first.close()
    await second.close()


async def test_an_update_is_claimed_once_whichever_replica_gets_it(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    assert await first.claim_update(1001) is Claim.NEW
    assert await first.claim_update(1001) is Claim.BUSY  # re-delivered while being handled
    assert await second.claim_update(1001) is Claim.BUSY  # ... to the other replica
    await first.finish_update(1001)
    assert await second.claim_update(1001) is Claim.DONE  # re-delivered after the answer
    ids = list(range(2000, 2060))
    results = await asyncio.gather(
        *(store.claim_update(i) for i in ids for store in (first, second))
    )
    pairs = zip([i for i in ids for _ in range(2)], results, strict=True)
    won = [i for i, claim in pairs if claim is Claim.NEW]
    assert sorted(won) == ids  # each of the 60 updates claimed by exactly one replica


async def test_a_claim_left_unfinished_is_taken_over_after_its_lease(
    two_stores: tuple[Store, Store],
) -> None:
    """The replica that claimed the update died while handling it: another one handles it."""
    first, second = two_stores
    assert await first.claim_update(5, at=NOW) is Claim.NEW
    soon, later = (
        NOW + timedelta(seconds=UPDATE_LEASE_S - 1),
        NOW + timedelta(seconds=UPDATE_LEASE_S + 1),
    )
    assert await second.claim_update(5, at=soon) is Claim.BUSY
    assert await second.claim_update(5, at=later) is Claim.NEW
    assert await first.claim_update(5, at=later) is Claim.BUSY  # the new claim has its lease
    await second.finish_update(5)
    far = later + timedelta(seconds=10 * UPDATE_LEASE_S)
    assert await first.claim_update(5, at=far) is Claim.DONE  # a done update stays done


async def test_a_renewed_claim_keeps_its_lease(two_stores: tuple[Store, Store]) -> None:
    """A replica still handling an update renews its claim; only a lapsed one is taken over."""
    first, second = two_stores
    lease = timedelta(seconds=UPDATE_LEASE_S)
    assert await first.claim_update(6, at=NOW) is Claim.NEW
    assert await first.renew_claims([6, 999], at=NOW + lease * 0.8) == 1  # 999: not claimed
    assert await second.claim_update(6, at=NOW + lease * 1.5) is Claim.BUSY
    assert await second.claim_update(6, at=NOW + lease * 1.9) is Claim.NEW
    await second.finish_update(6)
    assert await first.renew_claims([6], at=NOW + lease * 2) == 0  # done: nothing to renew


async def test_a_released_claim_lets_the_next_delivery_in(two_stores: tuple[Store, Store]) -> None:
    first, second = two_stores
    assert await first.claim_update(7) is Claim.NEW
    await first.release_update(7)
    assert await second.claim_update(7) is Claim.NEW


async def test_claims_are_forgotten_after_a_day_by_the_daily_prune(
    two_stores: tuple[Store, Store],
) -> None:
    store, _ = two_stores
    assert await store.claim_update(1, at=NOW - timedelta(days=1, minutes=1)) is Claim.NEW
    assert await store.claim_update(2, at=NOW - timedelta(hours=23)) is Claim.NEW
    await store.record_unanswered("old", None, 0.1, "low", at=NOW - timedelta(days=400))
    assert await store.prune(180, now=NOW) == 1  # the unanswered row; claims are not counted
    async with store.engine.connect() as conn:
        table = schema.processed_updates
        left = (await conn.execute(sa.select(table.c.update_id))).scalars().all()
    assert left == [2]
    assert await store.claim_update(1) is Claim.NEW  # a day later the id may be used again


async def test_on_sqlite_the_one_process_always_runs_the_jobs(tmp_path: Any) -> None:
    leadership = Leadership(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    await leadership.start()
    assert leadership.is_leader and leadership._conn is None
    await leadership.stop()
    assert leadership.is_leader


async def wait_until(condition: Any, seconds: float = 10.0) -> None:
    """Wait for condition() to be true, failing after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    return pg_server.create_database(f"lead_{uuid.uuid4().hex[:12]}")


async def test_two_replicas_contend_one_leads_and_the_other_takes_over_when_it_dies(
    pg_server: PostgresServer, pg_url: str
) -> None:
    gained: list[str] = []

    def note(name: str) -> Any:
        async def on_gain() -> None:
            gained.append(name)

        return on_gain

    first = Leadership(pg_url, poll_s=POLL_S, on_gain=note("first"))
    second = Leadership(pg_url, poll_s=POLL_S, on_gain=note("second"))
    await asyncio.gather(first.start(), second.start())
    try:
        assert [first.is_leader, second.is_leader].count(True) == 1
        leader, standby = (first, second) if first.is_leader else (second, first)
        await asyncio.sleep(5 * POLL_S)  # several rounds: nothing changes while both live
        assert leader.is_leader and not standby.is_leader and gained == []
        # The leader's session dies on the server (as when its process is SIGKILLed).
        pid_of = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        (pid,) = pg_server.psql(pid_of, database=pg_url.rsplit("/", 1)[1]).split()
        pg_server.psql(f"SELECT pg_terminate_backend({pid})")
        await wait_until(lambda: standby.is_leader)
        assert gained == ["second" if standby is second else "first"]
        await wait_until(lambda: not leader.is_leader)  # it notices on its next check
        await asyncio.sleep(5 * POLL_S)  # and does not take the lock back
        assert standby.is_leader and not leader.is_leader
    finally:
        await asyncio.gather(first.stop(), second.stop())


async def test_a_leader_that_stops_hands_over_and_a_restarted_one_waits(pg_url: str) -> None:
    first = Leadership(pg_url, poll_s=POLL_S)
    await first.start()
    second = Leadership(pg_url, poll_s=POLL_S)
    await second.start()
    try:
        assert first.is_leader and not second.is_leader
        await first.stop()  # closing its connection releases the lock
        await wait_until(lambda: second.is_leader)
        again = Leadership(pg_url, poll_s=POLL_S)
        await again.start()
        await asyncio.sleep(3 * POLL_S)
        assert not again.is_leader and second.is_leader
        await again.stop()
    finally:
        await second.stop()


async def test_a_leader_whose_connection_broke_steps_down_even_after_reconnecting(
    pg_url: str,
) -> None:
    first = Leadership(pg_url, poll_s=60)  # rounds driven by hand below
    second = Leadership(pg_url, poll_s=60)
    await first.start()
    await second.start()
    try:
        assert first.is_leader and not second.is_leader and first._conn is not None
        await first._conn.invalidate()  # its session ends; the lock goes with it
        assert await second.attempt()  # the other replica wins before the old one looks
        assert not await first.attempt()  # reconnected, but this session holds no lock
        assert not first.is_leader and second.is_leader
        assert not await first.attempt()  # and it stays a standby
        await second.stop()
        assert await first.attempt()
    finally:
        await first.stop()
        await second.stop()


async def test_only_the_leader_prunes(pg_url: str) -> None:
    store = await Store.open(pg_url)
    first = Leadership(pg_url, poll_s=60)
    second = Leadership(pg_url, poll_s=60)
    await first.start()
    await second.start()
    settings = SimpleNamespace(retention_days=30)

    def services(leadership: Leadership) -> Services:
        return Services(settings, None, None, store, None, leadership=leadership)  # type: ignore[arg-type]

    try:
        old = NOW - timedelta(days=90)
        await store.record_unanswered("old one", None, 0.1, "low", at=old)
        standby = services(second)
        assert not standby.runs_jobs
        assert await standby.prune() == 0
        assert await services(first).prune() == 1
    finally:
        await first.stop()
        await second.stop()
        await store.close()


async def test_one_open_group_quiz_per_chat_whichever_replica_starts_it(
    two_stores: tuple[Store, Store],
) -> None:
    from bot.quizzes import repo

    first, second = two_stores

    async def start(store: Store, chat_id: int) -> int:
        async with repo.writing(store) as conn:
            return await repo.insert_run(conn, chat_id, "basics")

    run = await start(first, -100)
    with pytest.raises(repo.Conflict):
        await start(second, -100)  # the same group, through the other replica
    other_chat = await start(second, -200)
    async with repo.writing(first) as conn:
        await repo.finish_run(conn, run)
    await start(second, -100)  # finished: the group may start the next one
    assert other_chat != run


async def test_the_leader_closes_runs_left_open_by_a_dead_replica(pg_url: str) -> None:
    from bot.quizzes import repo

    store = await Store.open(pg_url)
    first, second = Leadership(pg_url, poll_s=60), Leadership(pg_url, poll_s=60)
    await first.start()
    await second.start()
    settings = SimpleNamespace(retention_days=30)
    later = datetime.now(UTC) + timedelta(minutes=10)

    def services(leadership: Leadership) -> Services:
        made = Services(settings, None, None, store, None, leadership=leadership)  # type: ignore[arg-type]
        made.longest_group_run_s = 300.0  # 10 questions of 30 s
        return made

    try:
        async with repo.writing(store) as conn:
            await repo.insert_run(conn, -100, "basics")
        leader, standby = services(first), services(second)
        assert await leader.close_abandoned_runs() == 0  # it may still be running
        leader.clock = standby.clock = lambda: later  # 10 minutes on: past 300 s + margin
        assert await standby.close_abandoned_runs() == 0  # not the standby's job
        assert await leader.close_abandoned_runs() == 1
        async with repo.writing(store) as conn:
            await repo.insert_run(conn, -100, "basics")  # the chat is free again
    finally:
        await first.stop()
        await second.stop()
        await store.close()


async def test_rounds_run_the_leaders_jobs_only_on_the_leader(pg_url: str) -> None:
    rounds: dict[str, int] = {"first": 0, "second": 0}

    def counter(name: str) -> Any:
        async def on_round() -> None:
            rounds[name] += 1

        return on_round

    first = Leadership(pg_url, poll_s=POLL_S, on_round=counter("first"))
    second = Leadership(pg_url, poll_s=POLL_S, on_round=counter("second"))
    await first.start()
    await second.start()
    try:
        await wait_until(lambda: rounds["first"] >= 3)
        assert rounds["second"] == 0
    finally:
        await first.stop()
        await second.stop()


async def test_at_start_sqlite_closes_runs_left_open_but_postgresql_keeps_other_replicas_runs(
    tmp_path: Any, fake_index_dir: Any, database_url: str
) -> None:
    from telegram_harness import telegram_settings

    from bot.app import open_services
    from bot.quizzes import repo
    from tests.conftest import FakeEmbedder

    async with await Store.open(database_url) as store, repo.writing(store) as conn:
        run = await repo.insert_run(conn, -100, "basics")
    settings = telegram_settings(tmp_path, fake_index_dir, database_url=database_url)
    services = await open_services(settings, FakeEmbedder())
    try:
        async with repo.reading(services.store) as conn:
            runs = schema.group_quiz_runs
            stmt = sa.select(runs.c.finished_at).where(runs.c.id == run)
            finished = (await conn.execute(stmt)).scalar_one()
        if database_url.startswith("sqlite"):
            assert finished is not None  # the only process restarted: that quiz is over
        else:
            assert finished is None  # another replica may be posting it right now
        assert services.runs_jobs  # alone on this database: it leads
    finally:
        await services.aclose()
