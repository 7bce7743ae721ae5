"""Feedback voters: a salted (entry, user) hash per vote, one vote each; the salt table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Databases whose feedback table was created after the hand-rolled migration 3 was written
already have the voter column (migration 1 used the live table definition), so it is only
added where it is missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add feedback.voter where missing, UNIQUE(entry_id, voter), and stored_secrets."""
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("feedback")}
    if "voter" not in columns:
        with op.batch_alter_table("feedback") as batch:
            batch.add_column(sa.Column("voter", sa.String(64), nullable=True))
    indexes = {i["name"] for i in inspector.get_indexes("feedback")}
    if "ux_feedback_entry_voter" not in indexes:
        op.create_index("ux_feedback_entry_voter", "feedback", ["entry_id", "voter"], unique=True)
    op.create_table(
        "stored_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
