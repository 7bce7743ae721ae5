"""Test fixture: the hand-rolled schema and migrations 1-5 exactly as they shipped before Alembic.

A frozen copy of bot/storage/schema.py at migration 5 (tables, migration functions and
`apply_migrations`), kept so that tests/test_migrations.py can build databases the way every
earlier ScamWise did, at any of those versions, and check the Alembic upgrade keeps their rows.
Never change it to follow the live schema.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

QUESTION_MAX_CHARS = 1000
VOTER_CHARS = 64  # hex SHA-256
ENTRY_ID_MAX_CHARS = 200
STATUSES = ("declined", "low", "ambiguous")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; naive values are taken as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing (SQLite keeps no offset, so all rows must agree)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whatever the backend gave back."""
        if value is None:
            return None
        if isinstance(value, str):  # aggregates over SQLite text columns
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

unanswered = sa.Table(
    "unanswered",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("question", sa.String(QUESTION_MAX_CHARS), nullable=False),
    sa.Column("question_key", sa.String(QUESTION_MAX_CHARS), nullable=False),
    sa.Column("best_id", sa.String(ENTRY_ID_MAX_CHARS), nullable=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('declined', 'low', 'ambiguous')", name="ck_unanswered_status"),
    sa.Index("ix_unanswered_key", "question_key"),
    sa.Index("ix_unanswered_created_at", "created_at"),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(ENTRY_ID_MAX_CHARS), nullable=False),
    sa.Column("vote", sa.SmallInteger, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    # Added by the feedback-voters migration: a salted hash of (entry, user), never the user id;
    # UNIQUE(entry_id, voter) keeps one vote per user and entry. NULL for older rows.
    sa.Column("voter", sa.String(VOTER_CHARS), nullable=True),
    sa.CheckConstraint("vote IN (-1, 1)", name="ck_feedback_vote"),
    sa.Index("ix_feedback_entry_id", "entry_id"),
    sa.Index("ix_feedback_created_at", "created_at"),
)

# --- quizzes (migration 2) --------------------------------------------------------------------
QUIZ_ID_MAX_CHARS = 64
CLASS_CODE_MAX_CHARS = 16
POLL_ID_MAX_CHARS = 64
FIRST_NAME_MAX_CHARS = 64

# One row per quiz taken by one user in a private chat; `position` is the current question.
# UNIQUE(class_code, user_id): one attempt per user and class. Rows without a class are not
# constrained, because SQLite and PostgreSQL treat NULLs as distinct in unique constraints.
quiz_attempts = sa.Table(
    "quiz_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("quiz_id", sa.String(QUIZ_ID_MAX_CHARS), nullable=False),
    sa.Column("class_code", sa.String(CLASS_CODE_MAX_CHARS), nullable=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.UniqueConstraint("class_code", "user_id", name="uq_quiz_attempts_class_user"),
    sa.Index("ix_quiz_attempts_user_quiz", "user_id", "quiz_id"),
)

# The primary key makes a second answer to the same question (a double tap) fail.
quiz_answers = sa.Table(
    "quiz_answers",
    metadata,
    sa.Column(
        "attempt_id",
        sa.Integer,
        sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("question_index", sa.Integer, primary_key=True),
    sa.Column("option", sa.Integer, nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("answered_at", UTCDateTime(), nullable=False),
)

# The column is named creator_id in the database; its Python key is `user_id` so that
# `Store.forget_user` deletes the classes a user created.
quiz_classes = sa.Table(
    "quiz_classes",
    metadata,
    sa.Column("code", sa.String(CLASS_CODE_MAX_CHARS), primary_key=True),
    sa.Column("quiz_id", sa.String(QUIZ_ID_MAX_CHARS), nullable=False),
    sa.Column("creator_id", sa.BigInteger, key="user_id", nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("closed_at", UTCDateTime(), nullable=True),
    sa.Index("ix_quiz_classes_creator", "user_id"),
)

group_quiz_runs = sa.Table(
    "group_quiz_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("quiz_id", sa.String(QUIZ_ID_MAX_CHARS), nullable=False),
    sa.Column("started_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
)

group_quiz_polls = sa.Table(
    "group_quiz_polls",
    metadata,
    sa.Column("poll_id", sa.String(POLL_ID_MAX_CHARS), primary_key=True),
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("group_quiz_runs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("question_index", sa.Integer, nullable=False),
    sa.Column("correct_option", sa.Integer, nullable=False),
    sa.Index("ix_group_quiz_polls_run", "run_id"),
)

# The primary key keeps one vote per user and poll.
group_quiz_votes = sa.Table(
    "group_quiz_votes",
    metadata,
    sa.Column(
        "poll_id",
        sa.String(POLL_ID_MAX_CHARS),
        sa.ForeignKey("group_quiz_polls.poll_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("first_name", sa.String(FIRST_NAME_MAX_CHARS), nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("voted_at", UTCDateTime(), nullable=False),
    sa.Index("ix_group_quiz_votes_user", "user_id"),
)

# Values the database generates once and keeps (the feedback salt); created by the
# feedback-voters migration.
stored_secrets = sa.Table(
    "stored_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

QUIZ_TABLES = [
    quiz_attempts,
    quiz_answers,
    quiz_classes,
    group_quiz_runs,
    group_quiz_polls,
    group_quiz_votes,
]

# Tables with a `user_id` column; `Store.forget_user` deletes a user's rows from each.
# (A user's quiz_answers go with their quiz_attempts: ON DELETE CASCADE.)
USER_TABLES: list[sa.Table] = [quiz_attempts, quiz_classes, group_quiz_votes]


def _v1_initial(conn: Connection) -> None:
    """Version 1: the unanswered-question log and answer feedback."""
    metadata.create_all(conn, tables=[unanswered, feedback])


def _v2_quiz(conn: Connection) -> None:
    """Version 2: quiz attempts and answers, classes, and group quiz polls and votes."""
    metadata.create_all(conn, tables=QUIZ_TABLES)


def _feedback_voters(conn: Connection) -> None:
    """Feedback voters: a salted (entry, user) hash per vote, one vote each; a salt table."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("feedback")}
    if "voter" not in columns:  # databases created before this migration
        conn.execute(sa.text(f"ALTER TABLE feedback ADD COLUMN voter VARCHAR({VOTER_CHARS})"))
    conn.execute(
        sa.text(
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_feedback_entry_voter "
            "ON feedback (entry_id, voter)"
        )
    )
    metadata.create_all(conn, tables=[stored_secrets])


# --- regions (migration "user_regions") -----------------------------------------------------
REGION_ID_MAX_CHARS = 8

# The region a user chose (for hotlines); one row per user, deleted by /forgetme.
user_regions = sa.Table(
    "user_regions",
    metadata,
    sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("region", sa.String(REGION_ID_MAX_CHARS), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
USER_TABLES.append(user_regions)


def _v_user_regions(conn: Connection) -> None:
    """The region each user chose for hotlines (issue 13)."""
    metadata.create_all(conn, tables=[user_regions])


# --- languages (migration "user_languages") -------------------------------------------------
LANGUAGE_TAG_MAX_CHARS = 16

# The language a user chose with /language ("en", "zh-Hans", "zh-Hant"); one row per user,
# deleted by /forgetme.
user_languages = sa.Table(
    "user_languages",
    metadata,
    sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("language", sa.String(LANGUAGE_TAG_MAX_CHARS), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
USER_TABLES.append(user_languages)


def _v_user_languages(conn: Connection) -> None:
    """The language each user chose with /language (issue 15)."""
    metadata.create_all(conn, tables=[user_languages])


MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_initial,
    _v2_quiz,
    _feedback_voters,
    _v_user_regions,
    _v_user_languages,
]


def stored_version(conn: Connection) -> int:
    """The version recorded in the database, creating the version table (at 0) if missing."""
    metadata.create_all(conn, tables=[schema_version])
    version = conn.execute(sa.select(schema_version.c.version)).scalar_one_or_none()
    if version is None:
        conn.execute(sa.insert(schema_version).values(version=0))
        return 0
    return int(version)


def apply_migrations(conn: Connection, migrations: list[Callable[[Connection], None]]) -> int:
    """Run the migrations after the stored version, in order; return the final version."""
    version = stored_version(conn)
    if version > len(migrations):
        raise NewerSchemaError(version, len(migrations))
    for step in migrations[version:]:
        step(conn)
        version += 1
        conn.execute(sa.update(schema_version).values(version=version))
    return version


class NewerSchemaError(Exception):
    """The database was migrated by a newer ScamWise than this one."""

    def __init__(self, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(f"schema version {found} is newer than this code knows ({known})")


# --- building a database as the hand-rolled code did ------------------------------------------
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SALT = "ab" * 32


def _rows(version: int) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """Rows for every table that exists at `version`, parents before children."""
    rows: list[tuple[sa.Table, list[dict[str, Any]]]] = [
        (unanswered, [
            {"question": "is this job real", "question_key": "is this job real",
             "best_id": "task-scam", "score": 0.2, "status": "low", "created_at": T0},
            {"question": "Crypto?", "question_key": "crypto?", "best_id": None,
             "score": 0.1, "status": "declined", "created_at": T0},
        ]),
        (feedback, [
            {"entry_id": "task-scam", "vote": 1, "created_at": T0},
            {"entry_id": "romance", "vote": -1, "created_at": T0},
        ]),
    ]  # fmt: skip
    if version >= 2:
        rows += [
            (quiz_attempts, [
                {"id": 1, "user_id": 7, "quiz_id": "basics", "class_code": "ABC123",
                 "position": 2, "score": 1, "started_at": T0, "finished_at": None},
                {"id": 2, "user_id": 8, "quiz_id": "basics", "class_code": None,
                 "position": 5, "score": 4, "started_at": T0, "finished_at": T0},
            ]),
            (quiz_answers, [
                {"attempt_id": 1, "question_index": 0, "option": 1, "correct": True,
                 "answered_at": T0},
                {"attempt_id": 1, "question_index": 1, "option": 0, "correct": False,
                 "answered_at": T0},
            ]),
            (quiz_classes, [{"code": "ABC123", "quiz_id": "basics", "user_id": 99,
                             "created_at": T0, "closed_at": None}]),
            (group_quiz_runs, [{"id": 1, "chat_id": -100, "quiz_id": "basics",
                                "started_at": T0, "finished_at": None}]),
            (group_quiz_polls, [{"poll_id": "p1", "run_id": 1, "question_index": 0,
                                 "correct_option": 2}]),
            (group_quiz_votes, [{"poll_id": "p1", "user_id": 7, "first_name": "Mei",
                                 "correct": True, "voted_at": T0}]),
        ]  # fmt: skip
    if version >= 3:
        rows.append((stored_secrets, [{"name": "feedback_salt", "value": SALT}]))
    if version >= 4:
        rows.append((user_regions, [{"user_id": 7, "region": "hk", "updated_at": T0}]))
    if version >= 5:
        rows.append((user_languages, [{"user_id": 7, "language": "zh-Hant", "updated_at": T0}]))
    return rows


def build(conn: Connection, version: int) -> dict[str, int]:
    """Migrate an empty database to `version` the old way and fill it; rows per table."""
    assert apply_migrations(conn, MIGRATIONS[:version]) == version
    counts: dict[str, int] = {}
    for table, rows in _rows(version) if version else []:
        conn.execute(sa.insert(table), rows)
        counts[table.name] = len(rows)
    if version >= 2 and conn.dialect.name == "postgresql":  # explicit ids: move sequences on
        for table in (quiz_attempts, group_quiz_runs):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT MAX(id) FROM {table.name}))"
                )
            )
    return counts
