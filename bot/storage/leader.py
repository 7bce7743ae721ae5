"""Which replica runs the timed jobs: the one holding a PostgreSQL advisory lock.

Every replica starts a `Leadership`. On PostgreSQL it keeps one connection of its own open
for the life of the process and asks `pg_try_advisory_lock(key)` on it every `poll_s`
seconds until it gets the lock; the holder checks at the same pace that its session still
holds it (in `pg_locks`). The lock belongs to that session, so when the leader dies (SIGKILL,
a crash, a lost network link) the server drops the session and the lock with it, and the
next poll of another replica takes it: a take-over within `poll_s` seconds of the server
noticing (at once for a killed process, whose socket the kernel closes). A leader whose
connection fails stops being leader at once.

On SQLite there is one process, and it is always the leader. No election of our own: the
database server is the only judge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.store import mask_url

log = logging.getLogger(__name__)

# "ScamJobs" in ASCII: the advisory lock of the timed jobs (one per database).
JOBS_LOCK_KEY = 0x5363616D4A6F6273
LEADER_POLL_S = 15.0  # how often a standby asks for the lock and the leader checks its link
STATEMENT_TIMEOUT_S = 5.0  # longest wait for the server on one attempt

OnGain = Callable[[], Awaitable[object]]
# Does this session hold the lock? (A bigint advisory key shows as objsubid 1.)
_HELD = sa.text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND pid = pg_backend_pid() AND objsubid = 1 "
    "AND classid::bigint = :hi AND objid::bigint = :lo)"
)


class Leadership:
    """Whether this process runs the timed jobs; `is_leader` is kept current by a task."""

    def __init__(
        self,
        url: str,
        *,
        poll_s: float = LEADER_POLL_S,
        key: int = JOBS_LOCK_KEY,
        on_gain: OnGain | None = None,
        on_round: OnGain | None = None,
    ) -> None:
        self.url = url
        self.poll_s = poll_s
        self.key = key
        self.on_gain = on_gain  # awaited each time this process becomes leader after start
        self.on_round = on_round  # awaited after every round (every poll_s) while leader
        self.shared = make_url(url).get_backend_name() == "postgresql"
        self.is_leader = not self.shared  # SQLite: the only process
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Try for the lock once now, then keep trying (or checking) in the background.

        On SQLite there is no lock to take, but the rounds still run `on_round`.
        """
        if not self.shared:
            self._task = asyncio.create_task(self._poll(), name="timed-jobs")
            return
        self._engine = create_async_engine(self.url, poolclass=NullPool)
        await self.attempt()
        self._task = asyncio.create_task(self._poll(), name="leadership")

    async def stop(self) -> None:
        """Stop polling and close the lock's connection (which releases the lock)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop_connection()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
        self.is_leader = not self.shared

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            was_leader = self.is_leader
            await self.attempt()
            if not self.is_leader:
                continue
            jobs = [self.on_gain] if not was_leader else []
            for job in [*jobs, self.on_round]:
                if job is None:
                    continue
                try:
                    await job()
                except Exception:  # a job's failure must not stop the election
                    log.exception("a timed job failed on the leading replica")

    async def attempt(self) -> bool:
        """One round: check our lock's connection, or try to take the lock; return is_leader."""
        if not self.shared:
            return True
        assert self._engine is not None, "call start() first"
        try:
            async with asyncio.timeout(STATEMENT_TIMEOUT_S):
                if self._conn is None:
                    conn = await self._engine.connect()
                    self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                if self.is_leader:
                    # Not just SELECT 1: a connection that was invalidated reconnects by
                    # itself, and the new session does not hold the lock.
                    held = (await self._conn.execute(_HELD, self._key_parts())).scalar_one()
                    if held:
                        return True
                    log.warning("the timed jobs' lock was lost with its session")
                    self.is_leader = False
                query = sa.text("SELECT pg_try_advisory_lock(:key)")
                won = bool((await self._conn.execute(query, {"key": self.key})).scalar_one())
        except (TimeoutError, sa.exc.SQLAlchemyError, OSError) as exc:
            if self.is_leader:
                log.warning("lost the timed jobs' lock on %s: %s", mask_url(self.url), exc)
            else:
                log.info("cannot ask %s for the timed jobs' lock: %s", mask_url(self.url), exc)
            self.is_leader = False
            await self._drop_connection()
            return False
        if won:
            log.info("this replica now runs the timed jobs (advisory lock %#x)", self.key)
        self.is_leader = won
        return won

    def _key_parts(self) -> dict[str, int]:
        """The bigint key as pg_locks shows it: classid (high 32 bits), objid (low 32 bits)."""
        unsigned = self.key & 0xFFFFFFFFFFFFFFFF
        return {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}

    async def _drop_connection(self) -> None:
        """Close (or, when broken, discard) the lock's connection."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            async with asyncio.timeout(STATEMENT_TIMEOUT_S):
                await conn.close()
        except Exception:  # already broken: make sure the pool does not reuse it
            with contextlib.suppress(Exception):
                await conn.invalidate()
