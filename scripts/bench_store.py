"""What the database does per Telegram update for the replica-safe pieces, on both backends.

    python scripts/bench_store.py [--updates 2000] [--postgres URL]

For SQLite (a temporary file) and PostgreSQL (`--postgres`, else a throwaway server started
with tests/pg_server.py, which needs Debian's postgresql binaries): the statements the server
receives per update-id claim, per re-delivered update and per /healthz ping (PostgreSQL's own
log, `log_statement = all`, on the throwaway server), and the mean time of each, plus the
time of the flood counter the bot does *not* keep in the database (an upsert per message),
for comparison. Times on a busy machine are upper bounds; the statement counts are exact.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.store import Store


async def timed(n: int, step: Callable[[int], Awaitable[object]]) -> float:
    """Mean milliseconds of `step(i)` for i in range(n), one after the other."""
    start = time.perf_counter()
    for i in range(n):
        await step(i)
    return (time.perf_counter() - start) / n * 1000


async def measure(url: str, n: int, count: Callable[[], int] | None) -> dict[str, str]:
    """Time (and, with `count`, count the server's statements of) each operation."""
    store = await Store.open(url)
    meta = sa.MetaData()
    flood = sa.Table(
        "bench_flood",
        meta,
        sa.Column("user_id", sa.BigInteger, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    async with store.begin_write() as conn:
        await conn.run_sync(meta.create_all)
    dialect = postgresql if store.engine.dialect.name == "postgresql" else sqlite

    async def flood_hit(i: int) -> None:
        stmt = dialect.insert(flood).values(user_id=i % 200, n=1)
        stmt = stmt.on_conflict_do_update(index_elements=["user_id"], set_={"n": flood.c.n + 1})
        await store._write([stmt])

    steps: dict[str, Callable[[int], Awaitable[object]]] = {
        "claim a new update": lambda i: store.claim_update(10_000_000 + i),
        "claim a re-delivered update": lambda i: store.claim_update(10_000_000 + i),
        "/healthz SELECT 1": lambda i: store.ping(),
        "flood upsert (not used)": flood_hit,
    }
    out = {}
    try:
        for name, step in steps.items():
            before = count() if count else 0
            ms = await timed(n, step)
            statements = f", {(count() - before) / n:.1f} statements" if count else ""
            out[name] = f"{ms:.2f} ms{statements}"
    finally:
        async with store.begin_write() as conn:
            await conn.run_sync(meta.drop_all)
        await store.close()
    return out


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--postgres", help="an existing postgresql+asyncpg URL (no counts)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="scamwise-bench-"))
    results = {
        "SQLite": await measure(f"sqlite+aiosqlite:///{folder}/b.sqlite3", args.updates, None)
    }
    if args.postgres:
        results["PostgreSQL"] = await measure(args.postgres, args.updates, None)
    else:
        from tests.pg_server import PostgresServer, find_bindir

        bindir = find_bindir()
        if bindir is None:
            print("PostgreSQL binaries not found: install Debian's postgresql, or --postgres URL")
            return 1
        server = PostgresServer.start(bindir)
        try:
            url = server.create_database("bench")
            server.psql("ALTER SYSTEM SET log_statement = 'all'")
            server.psql("SELECT pg_reload_conf()")
            log = server.folder / "server.log"

            def count() -> int:
                text = log.read_text(errors="replace")
                return text.count("LOG:  statement:") + text.count("LOG:  execute ")

            results["PostgreSQL"] = await measure(url, args.updates, count)
        finally:
            server.stop()
    for backend, figures in results.items():
        print(backend)
        for name, figure in figures.items():
            print(f"  {name:<28} {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
