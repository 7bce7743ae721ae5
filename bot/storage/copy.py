"""`python -m bot migrate-db FROM_URL TO_URL`: copy every table from one database to another.

For moving a single-process SQLite database into the PostgreSQL that several replicas share
(or back). Both databases are first brought to the newest schema (the bot would do the same
at its next start), then every table is copied, parents before children, in one transaction
on the target: a failure leaves the target as it was. A target that already holds rows is
refused unless `force` is given, which replaces them. Afterwards PostgreSQL's id sequences
are moved past the copied ids, and the row counts of both sides are compared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage import schema
from bot.storage.store import StorageError, Store, mask_url

BATCH_ROWS = 1000  # rows read and written at a time


class CopyError(StorageError):
    """The copy was refused or failed; the target is left as it was."""


def _same_database(a: str, b: str) -> bool:
    try:
        return make_url(a) == make_url(b)
    except (sa.exc.ArgumentError, ValueError):
        return a == b


async def _counts(conn: AsyncConnection) -> dict[str, int]:
    """Rows in each of ScamWise's tables."""
    counts = {}
    for table in schema.metadata.sorted_tables:
        stmt = sa.select(sa.func.count()).select_from(table)
        counts[table.name] = int((await conn.execute(stmt)).scalar_one())
    return counts


async def _copy_table(source: AsyncConnection, target: AsyncConnection, table: sa.Table) -> int:
    """Stream one table's rows from source to target in batches; return how many."""
    keys = [column.key for column in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    result = await source.stream(sa.select(*table.columns).order_by(*order))
    copied = 0
    async for rows in result.partitions(BATCH_ROWS):
        batch = [dict(zip(keys, row, strict=True)) for row in rows]
        await target.execute(sa.insert(table), batch)
        copied += len(batch)
    return copied


async def _reset_sequences(target: AsyncConnection) -> None:
    """PostgreSQL: the next generated id of each serial column comes after the copied ones."""
    for table in schema.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is not True:
                continue
            stmt = sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
            )
            await target.execute(stmt)


@asynccontextmanager
async def _snapshot(store: Store) -> AsyncIterator[AsyncConnection]:
    """A read connection that sees one moment of the source (SQLite: its read transaction)."""
    async with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


async def copy_database(
    from_url: str,
    to_url: str,
    *,
    force: bool = False,
    progress: Callable[[str, int], object] | None = None,
) -> dict[str, int]:
    """Copy every table of `from_url` into `to_url`; return the rows copied per table."""
    where = f"from {mask_url(from_url)} to {mask_url(to_url)}"
    if _same_database(from_url, to_url):
        raise CopyError(f"cannot copy {where}: both URLs name the same database")
    source = await Store.open(from_url)
    try:
        target = await Store.open(to_url)
    except BaseException:
        await source.close()
        raise
    try:
        async with _snapshot(source) as src, target.begin_write() as dst:
            if not force:
                filled = {name: n for name, n in (await _counts(dst)).items() if n}
                if filled:
                    listed = ", ".join(f"{name} ({n} rows)" for name, n in filled.items())
                    raise CopyError(
                        f"cannot copy {where}: the target database is not empty ({listed}); "
                        "point TO_URL at an empty database, or add --force to replace them"
                    )
            for table in reversed(schema.metadata.sorted_tables):
                await dst.execute(sa.delete(table))
            copied = {}
            for table in schema.metadata.sorted_tables:
                copied[table.name] = await _copy_table(src, dst, table)
                if progress is not None:
                    progress(table.name, copied[table.name])
            if dst.dialect.name == "postgresql":
                await _reset_sequences(dst)
            expected, found = await _counts(src), await _counts(dst)
            if expected != found:
                raise CopyError(
                    f"cannot copy {where}: row counts differ after copying "
                    f"(source {expected}, target {found}); nothing was written"
                )
    except CopyError:
        raise
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise CopyError(f"cannot copy {where}: {exc}; nothing was written") from exc
    finally:
        await source.close()
        await target.close()
    return copied
