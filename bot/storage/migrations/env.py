"""Alembic's environment for ScamWise: migrations run on the connection the store hands over.

`Store.open` runs `bot.storage.migrate.upgrade` inside its own write transaction and passes
the connection in `config.attributes["connection"]`. Run from the command line (`alembic
upgrade head`, `alembic check`), it opens SCAMWISE_DATABASE_URL (or the default SQLite file)
with the async driver. `render_as_batch` lets ALTERs run on SQLite (copy-and-move tables).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.schema import metadata

config = context.config


def run_on(connection: Connection) -> None:
    """Configure Alembic on one connection and run the pending revisions."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    """Open the database at `url` (an async SQLAlchemy URL) and migrate it."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_on)
    finally:
        await engine.dispose()


given = config.attributes.get("connection")
if given is not None:
    run_on(given)
elif context.is_offline_mode():
    raise SystemExit("ScamWise migrations need a database: run them without --sql")
else:
    from bot.storage.store import DEFAULT_URL

    asyncio.run(run_from_url(os.environ.get("SCAMWISE_DATABASE_URL") or DEFAULT_URL))
