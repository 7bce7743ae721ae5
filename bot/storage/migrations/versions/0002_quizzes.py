"""Quiz attempts and answers, classes, group quiz runs, polls and votes (hand-rolled 2).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the six quiz tables."""
    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger, nullable=False),
        sa.Column("quiz_id", sa.String(64), nullable=False),
        sa.Column("class_code", sa.String(16), nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("finished_at", UTC_TIMESTAMP, nullable=True),
        sa.UniqueConstraint("class_code", "user_id", name="uq_quiz_attempts_class_user"),
    )
    op.create_index("ix_quiz_attempts_user_quiz", "quiz_attempts", ["user_id", "quiz_id"])
    op.create_table(
        "quiz_answers",
        sa.Column(
            "attempt_id",
            sa.Integer,
            sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("question_index", sa.Integer, primary_key=True),
        sa.Column("option", sa.Integer, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", UTC_TIMESTAMP, nullable=False),
    )
    op.create_table(
        "quiz_classes",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("quiz_id", sa.String(64), nullable=False),
        sa.Column("creator_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("closed_at", UTC_TIMESTAMP, nullable=True),
    )
    op.create_index("ix_quiz_classes_creator", "quiz_classes", ["creator_id"])
    op.create_table(
        "group_quiz_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("quiz_id", sa.String(64), nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("finished_at", UTC_TIMESTAMP, nullable=True),
    )
    op.create_table(
        "group_quiz_polls",
        sa.Column("poll_id", sa.String(64), primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("group_quiz_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("question_index", sa.Integer, nullable=False),
        sa.Column("correct_option", sa.Integer, nullable=False),
    )
    op.create_index("ix_group_quiz_polls_run", "group_quiz_polls", ["run_id"])
    op.create_table(
        "group_quiz_votes",
        sa.Column(
            "poll_id",
            sa.String(64),
            sa.ForeignKey("group_quiz_polls.poll_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("first_name", sa.String(64), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("voted_at", UTC_TIMESTAMP, nullable=False),
    )
    op.create_index("ix_group_quiz_votes_user", "group_quiz_votes", ["user_id"])
