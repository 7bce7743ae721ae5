"""A claimed update is done only once it was handled: a replica that died handling it is
replaced after a lease, instead of the update being skipped for a day.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Rows claimed before this revision were handed to the bot's queue at once, so they count as
done (done_at = claimed_at).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add processed_updates.done_at; the existing rows are done."""
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE processed_updates SET done_at = claimed_at")
