"""All quiz SQL: attempts, answers, classes and group polls (portable SQLAlchemy Core).

`writing(store)` opens one write transaction (BEGIN IMMEDIATE on SQLite, so read-then-write
steps of concurrent taps run one after the other) that is committed before it returns; the
other functions run inside such a transaction on its connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import schema
from bot.storage.store import StorageError, Store, insert_or_ignore, mask_url

attempts = schema.quiz_attempts
answers = schema.quiz_answers
classes = schema.quiz_classes
runs = schema.group_quiz_runs
polls = schema.group_quiz_polls
votes = schema.group_quiz_votes


class Conflict(Exception):
    """A unique constraint refused a write (a concurrent double tap or a code collision)."""


@dataclass(frozen=True)
class Attempt:
    """One row of quiz_attempts."""

    id: int
    user_id: int
    quiz_id: str
    class_code: str | None
    position: int
    score: int
    finished: bool


@dataclass(frozen=True)
class ClassRow:
    """One row of quiz_classes."""

    code: str
    quiz_id: str
    creator_id: int
    created_at: datetime
    closed: bool


@dataclass(frozen=True)
class Poll:
    """One row of group_quiz_polls."""

    poll_id: str
    run_id: int
    question_index: int
    correct_option: int


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@asynccontextmanager
async def writing(store: Store) -> AsyncIterator[AsyncConnection]:
    """One committed write transaction; unique violations become Conflict."""
    try:
        async with store.begin_write() as conn:
            yield conn
    except sa.exc.IntegrityError as exc:
        raise Conflict(str(exc)) from exc
    except sa.exc.SQLAlchemyError as exc:
        raise StorageError(f"cannot write to the database {mask_url(store.url)}: {exc}") from exc


@asynccontextmanager
async def reading(store: Store) -> AsyncIterator[AsyncConnection]:
    """One read-only transaction; database failures become StorageError."""
    try:
        async with store.engine.begin() as conn:
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        raise StorageError(f"cannot read from the database {mask_url(store.url)}: {exc}") from exc


async def _insert(conn: AsyncConnection, stmt: sa.Insert) -> int:
    """Run an INSERT and return the new row's integer primary key."""
    key = (await conn.execute(stmt)).inserted_primary_key
    assert key is not None
    return int(key[0])


# --- attempts and answers --------------------------------------------------------------------


def _attempt(row: sa.Row[tuple[object, ...]]) -> Attempt:
    """An Attempt from a quiz_attempts row."""
    m = row._mapping
    return Attempt(
        int(m["id"]),
        int(m["user_id"]),
        str(m["quiz_id"]),
        m["class_code"],
        int(m["position"]),
        int(m["score"]),
        m["finished_at"] is not None,
    )


async def get_attempt(conn: AsyncConnection, attempt_id: int) -> Attempt | None:
    """The attempt with this id, or None; its row stays locked until the transaction ends.

    Every caller reads the attempt to change it. SQLite runs one writer at a time anyway (and
    SQLAlchemy leaves FOR UPDATE out there); on PostgreSQL the lock makes twenty concurrent taps
    on "Next" move the attempt once instead of each reading the same old position.
    """
    stmt = sa.select(attempts).where(attempts.c.id == attempt_id).with_for_update()
    row = (await conn.execute(stmt)).first()
    return _attempt(row) if row else None


async def open_attempt(conn: AsyncConnection, user_id: int, quiz_id: str) -> Attempt | None:
    """The user's latest unfinished attempt of this quiz outside any class."""
    stmt = (
        sa.select(attempts)
        .where(attempts.c.user_id == user_id, attempts.c.quiz_id == quiz_id)
        .where(attempts.c.class_code.is_(None), attempts.c.finished_at.is_(None))
        .order_by(attempts.c.id.desc())
        .limit(1)
    )
    row = (await conn.execute(stmt)).first()
    return _attempt(row) if row else None


async def class_attempt(conn: AsyncConnection, code: str, user_id: int) -> Attempt | None:
    """The user's attempt in this class (finished or not), or None."""
    stmt = sa.select(attempts).where(attempts.c.class_code == code, attempts.c.user_id == user_id)
    row = (await conn.execute(stmt)).first()
    return _attempt(row) if row else None


async def insert_attempt(
    conn: AsyncConnection, user_id: int, quiz_id: str, class_code: str | None
) -> Attempt:
    """Start a new attempt at question 0 with score 0."""
    values = {"user_id": user_id, "quiz_id": quiz_id, "class_code": class_code}
    values |= {"position": 0, "score": 0, "started_at": now()}
    attempt_id = await _insert(conn, sa.insert(attempts).values(**values))
    return Attempt(attempt_id, user_id, quiz_id, class_code, 0, 0, False)


async def is_answered(conn: AsyncConnection, attempt_id: int, question_index: int) -> bool:
    """Whether this question of the attempt has an answer."""
    stmt = sa.select(answers.c.option).where(
        answers.c.attempt_id == attempt_id, answers.c.question_index == question_index
    )
    return (await conn.execute(stmt)).first() is not None


async def answered_option(
    conn: AsyncConnection, attempt_id: int, question_index: int
) -> int | None:
    """The option stored for this question of the attempt (None when it is not answered)."""
    stmt = sa.select(answers.c.option).where(
        answers.c.attempt_id == attempt_id, answers.c.question_index == question_index
    )
    option = (await conn.execute(stmt)).scalar_one_or_none()
    return None if option is None else int(option)


async def insert_answer(
    conn: AsyncConnection, attempt: Attempt, question_index: int, option: int, correct: bool
) -> None:
    """Store an answer and add it to the score (a second answer raises IntegrityError)."""
    values = {"attempt_id": attempt.id, "question_index": question_index, "option": option}
    await conn.execute(sa.insert(answers).values(**values, correct=correct, answered_at=now()))
    if correct:
        stmt = sa.update(attempts).where(attempts.c.id == attempt.id)
        await conn.execute(stmt.values(score=attempts.c.score + 1))


async def move(conn: AsyncConnection, attempt_id: int, position: int, finish: bool) -> None:
    """Set the current question, and mark the attempt finished when asked."""
    values: dict[str, object] = {"position": position}
    if finish:
        values["finished_at"] = now()
    await conn.execute(sa.update(attempts).where(attempts.c.id == attempt_id).values(**values))


async def correct_by_question(conn: AsyncConnection, attempt_id: int) -> dict[int, bool]:
    """Whether each answered question of the attempt was answered correctly."""
    stmt = sa.select(answers.c.question_index, answers.c.correct).where(
        answers.c.attempt_id == attempt_id
    )
    return {int(r.question_index): bool(r.correct) for r in await conn.execute(stmt)}


# --- classes ---------------------------------------------------------------------------------


def _class(row: sa.Row[tuple[object, ...]]) -> ClassRow:
    """A ClassRow from a quiz_classes row."""
    m = row._mapping
    return ClassRow(
        str(m["code"]),
        str(m["quiz_id"]),
        int(m["user_id"]),
        m["created_at"],
        m["closed_at"] is not None,
    )


async def get_class(conn: AsyncConnection, code: str) -> ClassRow | None:
    """The class with this code, or None."""
    row = (await conn.execute(sa.select(classes).where(classes.c.code == code))).first()
    return _class(row) if row else None


async def code_in_use(conn: AsyncConnection, code: str) -> bool:
    """Whether a class, or an attempt of a deleted class, already uses this code."""
    in_classes = sa.select(classes.c.code).where(classes.c.code == code)
    in_attempts = sa.select(attempts.c.id).where(attempts.c.class_code == code).limit(1)
    for stmt in (in_classes, in_attempts):
        if (await conn.execute(stmt)).first() is not None:
            return True
    return False


async def insert_class(conn: AsyncConnection, code: str, quiz_id: str, creator_id: int) -> None:
    """Create an open class."""
    values = {"code": code, "quiz_id": quiz_id, "user_id": creator_id, "created_at": now()}
    await conn.execute(sa.insert(classes).values(**values))


async def close_class(conn: AsyncConnection, code: str) -> None:
    """Mark the class closed (keeping the first closing time)."""
    stmt = sa.update(classes).where(classes.c.code == code, classes.c.closed_at.is_(None))
    await conn.execute(stmt.values(closed_at=now()))


async def classes_of(conn: AsyncConnection, creator_id: int) -> list[tuple[ClassRow, int]]:
    """The creator's classes, newest first, with their number of finished attempts."""
    finished = (
        sa.select(sa.func.count())
        .where(attempts.c.class_code == classes.c.code, attempts.c.finished_at.is_not(None))
        .scalar_subquery()
    )
    stmt = (
        sa.select(classes, finished.label("n"))
        .where(classes.c.user_id == creator_id)
        .order_by(classes.c.created_at.desc(), classes.c.code)
    )
    return [(_class(row), int(row.n)) for row in await conn.execute(stmt)]


async def class_answers(
    conn: AsyncConnection, code: str
) -> tuple[list[tuple[int, int, bool]], list[tuple[int, int, bool]]]:
    """(attempt id, score, finished) of each attempt, and (attempt id, question, correct)."""
    stmt = sa.select(attempts.c.id, attempts.c.score, attempts.c.finished_at).where(
        attempts.c.class_code == code
    )
    rows = [(int(r.id), int(r.score), r.finished_at is not None) for r in await conn.execute(stmt)]
    joined = (
        sa.select(answers.c.attempt_id, answers.c.question_index, answers.c.correct)
        .join(attempts, attempts.c.id == answers.c.attempt_id)
        .where(attempts.c.class_code == code)
    )
    marks = [
        (int(r.attempt_id), int(r.question_index), bool(r.correct))
        for r in await conn.execute(joined)
    ]
    return rows, marks


# --- group quizzes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """An unfinished group quiz run: its next step and when that step is due."""

    id: int
    chat_id: int
    quiz_id: str
    next_index: int
    next_at: datetime | None
    language: str | None


async def insert_run(
    conn: AsyncConnection, chat_id: int, quiz_id: str, language: str | None = None
) -> int:
    """Start a group quiz run, its first poll due now; returns its id."""
    at = now()
    stmt = sa.insert(runs).values(
        chat_id=chat_id, quiz_id=quiz_id, started_at=at, next_index=0, next_at=at,
        language=language,
    )  # fmt: skip
    return await _insert(conn, stmt)


async def claim_step(
    conn: AsyncConnection, run_id: int, index: int, next_at: datetime | None
) -> bool:
    """Take step `index` of an open run (moving it on, the next due at `next_at`); False when
    another replica took it first or the run is finished."""
    stmt = (
        sa.update(runs)
        .where(runs.c.id == run_id, runs.c.next_index == index, runs.c.finished_at.is_(None))
        .values(next_index=index + 1, next_at=next_at)
    )
    return (await conn.execute(stmt)).rowcount == 1


async def stalled_runs(
    conn: AsyncConnection, due_before: datetime, not_before: datetime
) -> list[Run]:
    """Open runs whose next step was due between the two times and nobody has taken."""
    stmt = sa.select(
        runs.c.id, runs.c.chat_id, runs.c.quiz_id, runs.c.next_index, runs.c.next_at,
        runs.c.language,
    ).where(
        runs.c.finished_at.is_(None), runs.c.next_at < due_before, runs.c.next_at > not_before
    )  # fmt: skip
    return [Run(*row) for row in (await conn.execute(stmt.order_by(runs.c.id))).all()]


async def finish_run(conn: AsyncConnection, run_id: int) -> None:
    """Mark a group run finished (keeping the first finishing time)."""
    stmt = sa.update(runs).where(runs.c.id == run_id, runs.c.finished_at.is_(None))
    await conn.execute(stmt.values(finished_at=now()))


async def record_poll(conn: AsyncConnection, poll: Poll) -> Poll:
    """Remember a quiz poll sent for a run, once (a second record of its id is ignored);
    returns the poll as stored."""
    values = {"poll_id": poll.poll_id, "run_id": poll.run_id}
    values |= {"question_index": poll.question_index, "correct_option": poll.correct_option}
    await conn.execute(insert_or_ignore(conn.dialect.name, polls, values))
    stored = await get_poll(conn, poll.poll_id)
    assert stored is not None
    return stored


async def get_poll(conn: AsyncConnection, poll_id: str) -> Poll | None:
    """The poll with this Telegram id, or None."""
    row = (await conn.execute(sa.select(polls).where(polls.c.poll_id == poll_id))).first()
    if row is None:
        return None
    return Poll(row.poll_id, int(row.run_id), int(row.question_index), int(row.correct_option))


async def has_vote(conn: AsyncConnection, poll_id: str, user_id: int) -> bool:
    """Whether this user already voted in this poll."""
    stmt = sa.select(votes.c.user_id).where(votes.c.poll_id == poll_id, votes.c.user_id == user_id)
    return (await conn.execute(stmt)).first() is not None


async def insert_vote(
    conn: AsyncConnection, poll_id: str, user_id: int, first_name: str, correct: bool
) -> None:
    """Store a user's first vote in a poll."""
    values = {"poll_id": poll_id, "user_id": user_id, "first_name": first_name}
    await conn.execute(sa.insert(votes).values(**values, correct=correct, voted_at=now()))


async def tally(conn: AsyncConnection, run_id: int) -> Sequence[tuple[str, int]]:
    """(first name, correct answers) per voter of a run: most correct first, then by name."""
    correct = sa.func.sum(sa.case((votes.c.correct, 1), else_=0)).label("correct")
    name = sa.func.max(votes.c.first_name).label("name")
    stmt = (
        sa.select(votes.c.user_id, name, correct)
        .join(polls, polls.c.poll_id == votes.c.poll_id)
        .where(polls.c.run_id == run_id)
        .group_by(votes.c.user_id)
        .order_by(correct.desc(), name, votes.c.user_id)
    )
    return [(str(r.name), int(r.correct)) for r in await conn.execute(stmt)]
