"""Votes in group quiz polls that are not recorded yet: kept until their poll is known.

A replica posts a poll, then records its Telegram id (`repo.record_poll`); a vote arriving in
between, or after the replica died there, waits in group_quiz_pending_votes. The engine links
such a poll to the run's claimed step that has no record (`unrecorded_steps`) and counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.quizzes.repo import now, polls, runs, votes
from bot.storage import schema
from bot.storage.store import insert_or_ignore

pending = schema.group_quiz_pending_votes


async def insert_vote_once(
    conn: AsyncConnection, poll_id: str, user_id: int, first_name: str, correct: bool
) -> None:
    """Store a user's vote in a poll unless one is stored (insert-or-ignore)."""
    await _vote_once(conn, votes, poll_id, user_id, first_name, correct=correct)


async def _vote_once(
    conn: AsyncConnection,
    table: sa.Table,
    poll_id: str,
    user_id: int,
    first_name: str,
    **more: object,
) -> None:
    """Insert-or-ignore one user's row for a poll into `votes` or `pending`."""
    values = {"poll_id": poll_id, "user_id": user_id, "first_name": first_name}
    await conn.execute(
        insert_or_ignore(conn.dialect.name, table, values | more | {"voted_at": now()})
    )


@dataclass(frozen=True)
class Step:
    """A claimed question of an open run whose poll has no record."""

    run_id: int
    quiz_id: str
    question_index: int


async def insert_pending_vote(
    conn: AsyncConnection, poll_id: str, user_id: int, first_name: str, option: int
) -> None:
    """Keep a user's first vote in a poll that is not recorded (yet)."""
    await _vote_once(conn, pending, poll_id, user_id, first_name, option=option)


async def take_pending_votes(conn: AsyncConnection, poll_id: str) -> list[tuple[int, str, int]]:
    """(user id, first name, option) of the votes waiting for this poll, deleted as read."""
    stmt = sa.select(pending.c.user_id, pending.c.first_name, pending.c.option)
    rows = (await conn.execute(stmt.where(pending.c.poll_id == poll_id))).all()
    await conn.execute(sa.delete(pending).where(pending.c.poll_id == poll_id))
    return [(int(r.user_id), str(r.first_name), int(r.option)) for r in rows]


async def waiting_polls(conn: AsyncConnection) -> list[tuple[str, int, datetime]]:
    """(poll id, one of its voters, its first vote's time) of each poll that has votes waiting
    for its record."""
    first = sa.func.min(pending.c.voted_at)
    stmt = sa.select(pending.c.poll_id, sa.func.min(pending.c.user_id), first)
    rows = await conn.execute(stmt.group_by(pending.c.poll_id))
    # min() keeps the column's type, so the times come back as aware UTC datetimes.
    return [(str(poll_id), int(user_id), at) for poll_id, user_id, at in rows]


async def unrecorded_steps(
    conn: AsyncConnection, started_after: datetime, started_before: datetime
) -> list[Step]:
    """Claimed steps without a poll record in open runs started between the two times: their
    replica posted the poll and has not recorded it yet, or died before it could (or before
    posting it). Steps past a quiz's last question (its leaderboard) are the caller's to drop."""
    open_runs = sa.select(runs.c.id, runs.c.quiz_id, runs.c.next_index).where(
        runs.c.finished_at.is_(None), runs.c.next_index > 0,
        runs.c.started_at > started_after, runs.c.started_at <= started_before,
    )  # fmt: skip
    found = (await conn.execute(open_runs.order_by(runs.c.id))).all()
    if not found:
        return []
    ids = [int(r.id) for r in found]
    stmt = sa.select(polls.c.run_id, polls.c.question_index).where(polls.c.run_id.in_(ids))
    recorded = {(int(r.run_id), int(r.question_index)) for r in await conn.execute(stmt)}
    return [
        Step(int(r.id), str(r.quiz_id), index)
        for r in found
        for index in range(int(r.next_index))
        if (int(r.id), index) not in recorded
    ]


async def run_voters(conn: AsyncConnection, run_id: int) -> set[int]:
    """The users who voted in any recorded poll of a run."""
    stmt = (
        sa.select(votes.c.user_id)
        .join(polls, polls.c.poll_id == votes.c.poll_id)
        .where(polls.c.run_id == run_id)
    )
    return {int(r.user_id) for r in await conn.execute(stmt)}
