"""At most one unfinished group quiz run per chat, enforced by the database.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Two replicas that each get a /quiz for the same group would otherwise both start a run (the
guard was one process's memory). A partial unique index (SQLite and PostgreSQL both have
them) refuses the second. Runs left unfinished by a crash are closed first, all but the
newest of each chat, so that the index can be built on an existing database.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = "finished_at IS NULL"


def upgrade() -> None:
    """Close older open runs of a chat, then index (chat_id) over the open runs."""
    op.execute(
        "UPDATE group_quiz_runs SET finished_at = started_at "
        f"WHERE {OPEN} AND id < (SELECT MAX(newer.id) FROM group_quiz_runs AS newer "
        f"WHERE newer.chat_id = group_quiz_runs.chat_id AND newer.{OPEN})"
    )
    op.create_index(
        "ux_group_quiz_runs_open_chat",
        "group_quiz_runs",
        ["chat_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
