"""The unanswered-question log and answer feedback (hand-rolled migration 1).

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create unanswered and feedback (feedback's voter column comes with 0003)."""
    op.create_table(
        "unanswered",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.String(1000), nullable=False),
        sa.Column("question_key", sa.String(1000), nullable=False),
        sa.Column("best_id", sa.String(200), nullable=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "status IN ('declined', 'low', 'ambiguous')", name="ck_unanswered_status"
        ),
    )
    op.create_index("ix_unanswered_key", "unanswered", ["question_key"])
    op.create_index("ix_unanswered_created_at", "unanswered", ["created_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(200), nullable=False),
        sa.Column("vote", sa.SmallInteger, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("vote IN (-1, 1)", name="ck_feedback_vote"),
    )
    op.create_index("ix_feedback_entry_id", "feedback", ["entry_id"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
