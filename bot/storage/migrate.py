"""Bring a database to the newest schema with the package's Alembic revisions.

`upgrade(conn)` runs inside the caller's transaction (`Store.open` holds one), so a database
is never left half-migrated: on SQLite and PostgreSQL alike, DDL is transactional.

Databases made before Alembic (up to the hand-rolled migration 5) hold one integer in a
`schema_version` table: how many of those migrations ran. They are stamped with the Alembic
revision of the same number (revisions 0001-0005 are those migrations, written out), the old
table is dropped, and the rest of the revisions run as for any other database.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.storage.schema import NewerSchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LEGACY_TABLE = "schema_version"  # the hand-rolled migrations' version table
LEGACY_REVISIONS = ("0001", "0002", "0003", "0004", "0005")  # hand-rolled 1..5


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped revisions (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    """The shipped revisions."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    head = script_directory().get_current_head()
    assert head is not None, f"no Alembic revisions in {MIGRATIONS_DIR}"
    return head


def current_revision(conn: Connection) -> str | None:
    """The revision stored in the database's alembic_version table, or None."""
    return MigrationContext.configure(conn).get_current_revision()


def _legacy_version(conn: Connection) -> int | None:
    """The hand-rolled schema_version of a pre-Alembic database, or None."""
    if not sa.inspect(conn).has_table(LEGACY_TABLE):
        return None
    value = conn.execute(sa.text(f"SELECT version FROM {LEGACY_TABLE}")).scalar_one_or_none()
    return int(value or 0)


def upgrade(conn: Connection) -> str:
    """Run every pending revision on `conn` (inside its transaction); return the head.

    Raises NewerSchemaError when the database was migrated by a newer ScamWise.
    """
    script = script_directory()
    head = head_revision()
    current = current_revision(conn)
    legacy = _legacy_version(conn)
    if current is None and legacy is not None:
        if legacy > len(LEGACY_REVISIONS):
            raise NewerSchemaError(str(legacy), head)
        if legacy:
            command.stamp(alembic_config(conn), LEGACY_REVISIONS[legacy - 1])
        conn.execute(sa.text(f"DROP TABLE {LEGACY_TABLE}"))
        current = current_revision(conn)
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:  # alembic's ResolutionError / CommandError: an unknown revision
            raise NewerSchemaError(current, head) from None
    if current != head:
        command.upgrade(alembic_config(conn), "head")
    return head
