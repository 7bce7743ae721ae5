"""Votes in a group poll that is not recorded yet wait in group_quiz_pending_votes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

A replica posts a poll, then records its id; a vote arriving in between (or after the
replica died there) used to be dropped. It now waits here until the poll is linked to its run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create group_quiz_pending_votes."""
    op.create_table(
        "group_quiz_pending_votes",
        sa.Column("poll_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("first_name", sa.String(64), nullable=False),
        sa.Column("option", sa.Integer, nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_group_quiz_pending_votes_user", "group_quiz_pending_votes", ["user_id"])
