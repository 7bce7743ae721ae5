"""The ScamWise repository: an async SQLAlchemy Core store for anonymous usage records.

Any SQLAlchemy async URL works (`sqlite+aiosqlite:///…`, `postgresql+asyncpg://…`); all SQL
here is portable except the marked SQLite setup hook. Every write runs in its own
transaction and is committed before the method returns.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from alembic.util import CommandError as AlembicError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.storage import migrate, schema
from bot.storage.opening import (  # the public names are re-exported from here
    DEFAULT_URL as DEFAULT_URL,
)
from bot.storage.opening import (
    WRITE_OPTION,
    advice,
    install_sqlite_hooks,
    prepare_sqlite_path,
    quick_check,
)
from bot.storage.opening import DamagedDatabaseError as DamagedDatabaseError
from bot.storage.opening import EmptyDatabaseError as EmptyDatabaseError
from bot.storage.opening import StorageError as StorageError
from bot.storage.opening import mask_url as mask_url
from bot.storage.opening import sqlite_file as sqlite_file

BUSY_TIMEOUT_S = 5.0
WRITE_TURN_TIMEOUT_S = 30.0  # longest wait for this process's other writes to finish
FEEDBACK_SALT = "feedback_salt"  # its name in the stored_secrets table
# Replicas starting at once on one PostgreSQL take turns to migrate (a transaction-level
# advisory lock; the number is arbitrary but fixed: "ScamWise" in ASCII, cut to 8 bytes).
MIGRATION_LOCK_KEY = 0x5363616D57697365
PING_TIMEOUT_S = 2.0  # /healthz: longest wait for the database's SELECT 1
# A claimed update not finished after this long is handled again: its replica died meanwhile.
# The replica renews the claims of the updates it is handling every UPDATE_RENEW_S (a slow
# screenshot check keeps its claim), so a dead replica's updates wait at most this long.
UPDATE_LEASE_S = 10.0
UPDATE_RENEW_S = 3.0


class Claim(Enum):
    """What to do with a delivered update (Store.claim_update)."""

    NEW = "new"  # handle it
    DONE = "done"  # handled already: acknowledge it
    BUSY = "busy"  # another replica is handling it now: let Telegram deliver it again


@dataclass(frozen=True)
class UnansweredRow:
    """One group of unanswered questions that fold to the same text."""

    question: str
    count: int
    last_seen: datetime
    best_id: str | None
    mean_score: float


@dataclass(frozen=True)
class FeedbackRow:
    """Votes received by one knowledge entry."""

    entry_id: str
    ups: int
    downs: int


def _since(days: int | None, now: datetime | None = None) -> datetime | None:
    """The cut-off time `days` before `now` (default: the current time), or None for no limit."""
    if days is None:
        return None
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    return (now or datetime.now(UTC)) - timedelta(days=days)


class Store:
    """Async repository over one engine; open with `await Store.open(url)`."""

    def __init__(self, engine: AsyncEngine, url: str) -> None:
        self.engine = engine
        self.url = url
        # `writer`: the same engine, for write transactions (they BEGIN IMMEDIATE on SQLite).
        self.writer = engine.execution_options(**{WRITE_OPTION: True})
        # SQLite has one writer at a time and its busy handler is not fair: with many pooled
        # connections waiting in BEGIN IMMEDIATE, one can starve past the busy timeout and
        # fail with "database is locked" under load. So this process's writes take turns on a
        # FIFO lock, and the busy timeout is left for other processes.
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # Single statements that need no transaction of their own (PostgreSQL only).
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._salt = b""  # the feedback salt: SCAMWISE_FEEDBACK_SALT, or read at first use

    @classmethod
    async def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        create_empty: bool = False,
        feedback_salt: str | None = None,
    ) -> Store:
        """Check the file (SQLite), create the engine, migrate, check the database is writable.

        `create_empty` accepts a zero-byte SQLite file (SCAMWISE_DATABASE_CREATE_EMPTY);
        `feedback_salt` (SCAMWISE_FEEDBACK_SALT) replaces the salt stored in the database.
        """
        engine: AsyncEngine | None = None
        try:
            parsed = make_url(url)
            prepare_sqlite_path(parsed, create_empty)
            engine = create_async_engine(parsed)
            if engine.dialect.name == "sqlite":
                install_sqlite_hooks(engine, busy_timeout_s)
                async with engine.connect() as conn:
                    await conn.run_sync(quick_check, url)
            store = cls(engine, url)
            await store._migrate()
            store._salt = feedback_salt.encode() if feedback_salt else b""
            return store
        except StorageError:
            if engine is not None:
                await engine.dispose()
            raise
        except (
            sa.exc.SQLAlchemyError,
            OSError,
            ImportError,
            schema.NewerSchemaError,
            AlembicError,
        ) as exc:
            if engine is not None:
                await engine.dispose()
            raise StorageError(f"cannot open the database {mask_url(url)}: {advice(exc)}") from exc

    async def _migrate(self) -> None:
        """Apply pending Alembic revisions, then prove the database accepts writes."""
        async with self.writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                lock = sa.text("SELECT pg_advisory_xact_lock(:key)")
                await conn.execute(lock, {"key": MIGRATION_LOCK_KEY})
            head = await conn.run_sync(migrate.upgrade)
            probe = sa.text("UPDATE alembic_version SET version_num = :head")
            await conn.execute(probe, {"head": head})

    async def _load_salt(self) -> None:
        """Read the feedback salt kept in the database; generate and keep it the first time."""
        if self._salt:
            return
        table = schema.stored_secrets
        select = sa.select(table.c.value).where(table.c.name == FEEDBACK_SALT)
        try:
            async with self._tx(write=True) as conn:
                value = (await conn.execute(select)).scalar_one_or_none()
                if value is None:
                    value = secrets.token_hex(32)
                    await conn.execute(sa.insert(table).values(name=FEEDBACK_SALT, value=value))
        except StorageError as exc:  # another process stored one first (PostgreSQL)
            if not isinstance(exc.__cause__, sa.exc.IntegrityError):
                raise
            async with self._tx(write=False) as conn:
                value = (await conn.execute(select)).scalar_one()
        self._salt = str(value).encode()

    def voter(self, entry_id: str, user_id: int) -> str:
        """The stored stand-in for a user's vote on an entry: HMAC-SHA256(salt, entry, user).

        Without the salt it cannot be turned back into a user id, and the same user gets a
        different value on every entry, so votes cannot be linked to each other either.
        Call `_load_salt` first.
        """
        message = f"{entry_id}\n{user_id}".encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Store:
        """Use the opened store in `async with await Store.open(url) as store`."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close the store when the block ends."""
        await self.close()

    @asynccontextmanager
    async def begin_write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction on `writer`, committed on success; on SQLite, one at a time."""
        if self._write_turn is None:
            async with self.writer.begin() as conn:
                yield conn
            return
        try:
            async with asyncio.timeout(WRITE_TURN_TIMEOUT_S):
                await self._write_turn.acquire()
        except TimeoutError:
            raise StorageError(
                f"cannot write to the database {mask_url(self.url)}: "
                f"other writes kept it busy for {WRITE_TURN_TIMEOUT_S:.0f} s"
            ) from None
        try:
            async with self.writer.begin() as conn:
                yield conn
        finally:
            self._write_turn.release()

    @asynccontextmanager
    async def _tx(self, write: bool) -> AsyncIterator[AsyncConnection]:
        """One transaction, committed on success; database failures become StorageError."""
        try:
            async with self.begin_write() if write else self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            action = "write to" if write else "read from"
            raise StorageError(
                f"cannot {action} the database {mask_url(self.url)}: {exc}"
            ) from exc

    async def _write(self, statements: list[sa.Executable]) -> int:
        """Run the statements in one committed transaction; return the rows they touched."""
        touched = 0
        async with self._tx(write=True) as conn:
            for stmt in statements:
                touched += (await conn.execute(stmt)).rowcount or 0
        return touched

    async def schema_version(self) -> int:
        """The number of the Alembic revision the database is at (revisions are 0001, 0002…)."""
        async with self._tx(write=False) as conn:
            revision = await conn.run_sync(migrate.current_revision)
        return int(revision or 0)

    async def ping(self, timeout_s: float = PING_TIMEOUT_S) -> None:
        """`SELECT 1` within `timeout_s` seconds; StorageError naming the URL when it fails."""
        try:
            engine = self.engine if self._write_turn is not None else self._autocommit
            async with asyncio.timeout(timeout_s), engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))  # PostgreSQL: no BEGIN/ROLLBACK
        except TimeoutError:
            raise StorageError(
                f"the database {mask_url(self.url)} did not answer within {timeout_s:g} s"
            ) from None
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            raise StorageError(f"cannot reach the database {mask_url(self.url)}: {exc}") from exc

    async def claim_update(
        self, update_id: int, at: datetime | None = None, lease_s: float = UPDATE_LEASE_S
    ) -> Claim:
        """Claim a Telegram update for this replica before handling it.

        NEW: handle it (first delivery, or a claim older than `lease_s` that was never finished:
        its replica died while handling it). DONE: handled already, acknowledge it. BUSY:
        another replica is handling it right now; answer 503 so that Telegram delivers it again.
        The first delivery costs one INSERT … ON CONFLICT DO NOTHING (the same statement on
        SQLite and PostgreSQL), so of two replicas that get it at once exactly one wins.
        """
        now = at or datetime.now(UTC)
        table = schema.processed_updates
        insert = insert_or_ignore(
            self.engine.dialect.name, table, {"update_id": update_id, "claimed_at": now}
        )
        if await self._single_write(insert) == 1:
            return Claim.NEW
        stale = (
            sa.update(table)
            .where(table.c.update_id == update_id, table.c.done_at.is_(None))
            .where(table.c.claimed_at < now - timedelta(seconds=lease_s))
            .values(claimed_at=now)
        )
        if await self._single_write(stale) == 1:
            return Claim.NEW
        done = sa.select(table.c.done_at).where(table.c.update_id == update_id)
        async with self._tx(write=False) as conn:
            finished = (await conn.execute(done)).scalar_one_or_none()
        return Claim.DONE if finished is not None else Claim.BUSY

    async def finish_update(self, update_id: int, at: datetime | None = None) -> None:
        """Mark a claimed update handled: later deliveries are acknowledged and skipped."""
        table = schema.processed_updates
        stmt = (
            sa.update(table)
            .where(table.c.update_id == update_id)
            .values(done_at=at or datetime.now(UTC))
        )
        await self._single_write(stmt)

    async def renew_claims(self, update_ids: list[int], at: datetime | None = None) -> int:
        """Extend the lease of updates this replica is still handling (one statement)."""
        if not update_ids:
            return 0
        table = schema.processed_updates
        stmt = (
            sa.update(table)
            .where(table.c.update_id.in_(update_ids), table.c.done_at.is_(None))
            .values(claimed_at=at or datetime.now(UTC))
        )
        return await self._single_write(stmt)

    async def release_update(self, update_id: int) -> None:
        """Forget a claim whose update could not be handled (so a retry handles it)."""
        table = schema.processed_updates
        await self._write([sa.delete(table).where(table.c.update_id == update_id)])

    async def _single_write(self, stmt: sa.Executable) -> int:
        """One write statement, committed; the number of rows it changed."""
        if self._write_turn is not None:  # SQLite: one writer at a time, in its turn
            return await self._write([stmt])
        # PostgreSQL: one statement is its own transaction; without BEGIN and COMMIT it is one
        # round trip to the server instead of three.
        try:
            async with self._autocommit.connect() as conn:
                return int((await conn.execute(stmt)).rowcount)
        except sa.exc.SQLAlchemyError as exc:
            raise StorageError(
                f"cannot write to the database {mask_url(self.url)}: {exc}"
            ) from exc

    async def record_unanswered(
        self,
        question: str,
        best_id: str | None,
        score: float,
        status: str,
        at: datetime | None = None,
    ) -> None:
        """Log a question the bot could not answer well (no user id is stored)."""
        if status not in schema.STATUSES:
            raise ValueError(f"status must be one of {schema.STATUSES}, got {status!r}")
        text = question[: schema.QUESTION_MAX_CHARS]
        row: dict[str, Any] = {"question": text, "question_key": schema.fold_question(text)}
        row |= {"best_id": best_id, "score": float(score), "status": status}
        row["created_at"] = at or datetime.now(UTC)
        await self._write([sa.insert(schema.unanswered).values(**row)])

    async def record_feedback(
        self,
        entry_id: str,
        vote: int,
        at: datetime | None = None,
        *,
        voter: int | None = None,
    ) -> bool:
        """Log a +1 or -1 vote on an answer; False when this voter had voted on it already.

        No user id is stored: with `voter` (a user id) the row holds `self.voter(entry, id)`,
        and a second vote by the same user on the same entry replaces nothing and counts once.
        """
        if isinstance(vote, bool) or vote not in (1, -1):
            raise ValueError(f"vote must be +1 or -1, got {vote!r}")
        t = schema.feedback
        row: dict[str, Any] = {"entry_id": entry_id, "vote": vote}
        row["created_at"] = at or datetime.now(UTC)
        if voter is None:
            await self._write([sa.insert(t).values(**row)])
            return True
        await self._load_salt()
        row["voter"] = self.voter(entry_id, voter)
        async with self._tx(write=True) as conn:
            seen = sa.select(t.c.id).where(t.c.entry_id == entry_id, t.c.voter == row["voter"])
            if (await conn.execute(seen)).first() is not None:
                return False
            await conn.execute(sa.insert(t).values(**row))
        return True

    async def top_unanswered(
        self, since_days: int | None = None, limit: int = 20
    ) -> list[UnansweredRow]:
        """Most frequent unanswered questions (ties: most recent first), folded together."""
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        stmt = schema.top_unanswered_query(_since(since_days), limit)
        async with self._tx(write=False) as conn:
            rows = (await conn.execute(stmt)).all()
        return [
            UnansweredRow(r.question, int(r.n), r.last_seen, r.best_id, float(r.mean))
            for r in rows
        ]

    async def feedback_summary(self, since_days: int | None = None) -> list[FeedbackRow]:
        """Ups and downs per entry, most down-voted first, then by entry id."""
        stmt = schema.feedback_summary_query(_since(since_days))
        async with self._tx(write=False) as conn:
            rows = (await conn.execute(stmt)).all()
        return [FeedbackRow(r.entry_id, int(r.ups), int(r.downs)) for r in rows]

    async def get_region(self, user_id: int) -> str | None:
        """The region id this user chose, or None."""
        table = schema.user_regions
        stmt = sa.select(table.c.region).where(table.c.user_id == user_id)
        async with self._tx(write=False) as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def set_region(self, user_id: int, region: str, at: datetime | None = None) -> None:
        """Remember the user's region (replacing an earlier choice) in one transaction."""
        table = schema.user_regions
        row = {"user_id": user_id, "region": region, "updated_at": at or datetime.now(UTC)}
        delete = sa.delete(table).where(table.c.user_id == user_id)
        await self._write([delete, sa.insert(table).values(**row)])

    async def get_language(self, user_id: int) -> str | None:
        """The language tag this user chose with /language, or None."""
        table = schema.user_languages
        stmt = sa.select(table.c.language).where(table.c.user_id == user_id)
        async with self._tx(write=False) as conn:
            return (await conn.execute(stmt)).scalar_one_or_none()

    async def set_language(self, user_id: int, language: str, at: datetime | None = None) -> None:
        """Remember the user's language (replacing an earlier choice) in one transaction."""
        table = schema.user_languages
        row = {"user_id": user_id, "language": language, "updated_at": at or datetime.now(UTC)}
        delete = sa.delete(table).where(table.c.user_id == user_id)
        await self._write([delete, sa.insert(table).values(**row)])

    async def forget_user(self, user_id: int) -> int:
        """Delete every row of this user from the user tables, and their votes, in one go."""
        tables = schema.USER_TABLES
        statements: list[sa.Executable] = [
            sa.delete(t).where(t.c.user_id == user_id) for t in tables
        ]
        async with self._tx(write=False) as conn:
            voted = sa.select(schema.feedback.c.entry_id).where(
                schema.feedback.c.voter.is_not(None)
            )
            entries = (await conn.execute(voted.distinct())).scalars().all()
        if entries:
            await self._load_salt()
        hashes = [self.voter(entry, user_id) for entry in entries]
        if hashes:
            statements.append(
                sa.delete(schema.feedback).where(schema.feedback.c.voter.in_(hashes))
            )
        return await self._write(statements)

    async def close_abandoned_group_runs(self, started_before: datetime) -> int:
        """Mark finished the group quiz runs still open that started before that time.

        A run whose replica died (or was stopped) mid-quiz stays open, and the database keeps
        one open run per chat: closing it once no quiz could still be going frees the chat.
        Returns how many were closed.
        """
        runs = schema.group_quiz_runs
        stmt = (
            sa.update(runs)
            .where(runs.c.finished_at.is_(None), runs.c.started_at < started_before)
            .values(finished_at=datetime.now(UTC))
        )
        return await self._write([stmt])

    async def prune(self, older_than_days: int, now: datetime | None = None) -> int:
        """Delete unanswered and feedback rows older than that many days; return the count.

        Also forgets update ids claimed, and poll votes left waiting for a poll that never
        came, more than UPDATE_MEMORY_DAYS ago (not counted: they are bookkeeping, not the
        records the retention promise is about).
        """
        cutoff = _since(older_than_days, now)
        tables = (schema.unanswered, schema.feedback)
        updates, waiting = schema.processed_updates, schema.group_quiz_pending_votes
        memory = _since(schema.UPDATE_MEMORY_DAYS, now)
        forget = [
            sa.delete(updates).where(updates.c.claimed_at < memory),
            sa.delete(waiting).where(waiting.c.voted_at < memory),
        ]
        async with self._tx(write=True) as conn:
            removed = 0
            for table in tables:
                stmt = sa.delete(table).where(table.c.created_at < cutoff)
                removed += (await conn.execute(stmt)).rowcount or 0
            for stmt in forget:
                await conn.execute(stmt)
        return removed


def insert_or_ignore(dialect: str, table: sa.Table, row: dict[str, Any]) -> sa.Executable:
    """INSERT that does nothing when the primary key exists (SQLite and PostgreSQL syntax)."""
    if dialect == "postgresql":
        return postgresql.insert(table).values(**row).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).values(**row).on_conflict_do_nothing()
    raise StorageError(f"insert-or-ignore is not written for the {dialect} database")
