"""Tables of the ScamWise database (SQLAlchemy Core) and its report queries.

The tables here are what the code reads and writes; the database gets them from the Alembic
revisions in `bot/storage/migrations/versions/`, which `Store.open` applies at start
(`bot/storage/migrate.py`). A test (tests/test_migrations.py) checks that the two agree.

Adding a table or column (e.g. quiz progress):

1. Define or change the `Table` objects on `metadata` below (portable types only:
   `BigInteger` for Telegram ids, `UTCDateTime` for timestamps, no dialect-specific SQL).
2. `.venv/bin/alembic revision -m "quiz progress"` (from the repository root; alembic.ini
   points at the package's migrations), then write its `upgrade()` with `op.create_table`,
   `op.add_column` or `with op.batch_alter_table(...)` (SQLite cannot ALTER most things; the
   batch form copies the table). Write the columns out in the revision: never import the live
   table definitions, which change later. Never edit a revision that has shipped.
3. If the new table has a `user_id` column, append it to `USER_TABLES` so that
   `Store.forget_user` deletes from it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

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
    # Added by revision 0003 (feedback voters): a salted hash of (entry, user), never the user id;
    # UNIQUE(entry_id, voter) keeps one vote per user and entry. NULL for older rows.
    sa.Column("voter", sa.String(VOTER_CHARS), nullable=True),
    sa.CheckConstraint("vote IN (-1, 1)", name="ck_feedback_vote"),
    sa.Index("ix_feedback_entry_id", "entry_id"),
    sa.Index("ix_feedback_created_at", "created_at"),
    sa.Index("ux_feedback_entry_voter", "entry_id", "voter", unique=True),
)

# --- quizzes (revision 0002) --------------------------------------------------------------------
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
    # Progress, so that another replica can carry on (revision 0009): the next step (a poll
    # by question index, then the leaderboard at index n), when it is due, and the language.
    sa.Column("next_index", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_at", UTCDateTime(), nullable=True),
    sa.Column("language", sa.String(16), nullable=True),
    # Revision 0007: one unfinished run per chat, whichever replica starts it.
    sa.Index(
        "ux_group_quiz_runs_open_chat",
        "chat_id",
        unique=True,
        sqlite_where=sa.text("finished_at IS NULL"),
        postgresql_where=sa.text("finished_at IS NULL"),
    ),
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

# Values the database generates once and keeps (the feedback salt); created by revision
# 0003 (feedback voters).
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


def fold_question(text: str) -> str:
    """The `question_key` of a question: case-folded, runs of whitespace made one space."""
    return " ".join(text.casefold().split())


def top_unanswered_query(cutoff: datetime | None, limit: int) -> sa.Select[Any]:
    """Groups by folded text with count, last seen, mean score and the latest wording/best id."""
    t = unanswered
    where = [t.c.created_at >= cutoff] if cutoff is not None else []
    newest_first = (t.c.created_at.desc(), t.c.id.desc())
    rank = sa.func.row_number().over(partition_by=t.c.question_key, order_by=newest_first)
    latest = (
        sa.select(t.c.question_key, t.c.question, t.c.best_id, rank.label("rn"))
        .where(*where)
        .subquery("latest")
    )
    groups = (
        sa.select(
            t.c.question_key,
            sa.func.count().label("n"),
            sa.func.max(t.c.created_at).label("last_seen"),
            sa.func.avg(t.c.score).label("mean"),
        )
        .where(*where)
        .group_by(t.c.question_key)
        .subquery("groups")
    )
    on = sa.and_(latest.c.question_key == groups.c.question_key, latest.c.rn == 1)
    return (
        sa.select(
            latest.c.question, latest.c.best_id, groups.c.n, groups.c.last_seen, groups.c.mean
        )
        .select_from(groups.join(latest, on))
        .order_by(groups.c.n.desc(), groups.c.last_seen.desc(), groups.c.question_key)
        .limit(limit)
    )


def feedback_summary_query(cutoff: datetime | None) -> sa.Select[Any]:
    """Ups and downs per entry since `cutoff`: most down-voted first, then by entry id."""
    t = feedback
    ups = sa.func.sum(sa.case((t.c.vote > 0, 1), else_=0)).label("ups")
    downs = sa.func.sum(sa.case((t.c.vote < 0, 1), else_=0)).label("downs")
    where = [t.c.created_at >= cutoff] if cutoff is not None else []
    stmt = sa.select(t.c.entry_id, ups, downs).where(*where).group_by(t.c.entry_id)
    return stmt.order_by(downs.desc(), ups.desc(), t.c.entry_id)


# --- regions (revision 0004) -----------------------------------------------------
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


# --- languages (revision 0005) -------------------------------------------------
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


# --- Telegram updates already handled (revision 0006) --------------------------------------
# One row per update_id claimed by the replica that handles it (insert-or-ignore: a second
# delivery, to any replica, finds the row and is acknowledged without being handled again).
# Deleted after UPDATE_MEMORY_DAYS by the daily pruning.
UPDATE_MEMORY_DAYS = 1
processed_updates = sa.Table(
    "processed_updates",
    metadata,
    sa.Column("update_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("claimed_at", UTCDateTime(), nullable=False),
    # Set once the update was handled; a claim without it older than the lease is taken over
    # (its replica died while handling it).
    sa.Column("done_at", UTCDateTime(), nullable=True),
    sa.Index("ix_processed_updates_claimed_at", "claimed_at"),
)


# --- votes in polls not recorded yet (revision 0010) ----------------------------------------
# A replica posts a group poll, then records its Telegram id: a vote can arrive in between,
# and when the replica dies there, the record never comes. Such a vote waits here and is
# counted once its poll is linked to its run (the engine links it to the run's step that was
# posted and not recorded). Deleted after UPDATE_MEMORY_DAYS by the daily pruning.
group_quiz_pending_votes = sa.Table(
    "group_quiz_pending_votes",
    metadata,
    sa.Column("poll_id", sa.String(POLL_ID_MAX_CHARS), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("first_name", sa.String(FIRST_NAME_MAX_CHARS), nullable=False),
    sa.Column("option", sa.Integer, nullable=False),
    sa.Column("voted_at", UTCDateTime(), nullable=False),
    sa.Index("ix_group_quiz_pending_votes_user", "user_id"),
)
USER_TABLES.append(group_quiz_pending_votes)


class NewerSchemaError(Exception):
    """The database was migrated by a newer ScamWise than this one."""

    def __init__(self, found: str, known: str) -> None:
        self.found = found
        self.known = known
        super().__init__(f"schema version {found} is newer than this code knows ({known})")
