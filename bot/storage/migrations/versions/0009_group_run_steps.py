"""Group quiz runs keep their progress, so another replica can carry on a run whose replica died.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

next_index is the next step (a question's poll, then the leaderboard at index n), next_at
when it is due, language the language the run's polls are posted in. A replica claims a
step by moving next_index on (a conditional UPDATE), so each step is posted once. Runs open
before this revision have no next_at: nobody resumes them; the leader closes them as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add next_index, next_at and language to group_quiz_runs."""
    with op.batch_alter_table("group_quiz_runs") as batch:
        batch.add_column(sa.Column("next_index", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))
