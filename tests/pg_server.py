"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, loopback only.

PostgreSQL refuses to run as root, so under root (CI here) the server runs as the `postgres`
system user that Debian's package creates. The binaries come from Debian's `postgresql`
package (`.ci/run` installs it where it is missing); `find_bindir` returns None without them
and the tests that need a server are skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 30.0


def find_bindir() -> Path | None:
    """The folder of `initdb`, `pg_ctl` and `psql`: $PG_BINDIR, Debian's newest, or PATH."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3])
    )
    if versions:
        return versions[-1].parent
    tools = [shutil.which(name) for name in ("initdb", "pg_ctl", "psql")]
    folders = {Path(tool).parent for tool in tools if tool}
    return folders.pop() if len(folders) == 1 and all(tools) else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One running server; `url(db)` is an SQLAlchemy asyncpg URL for a database on it."""

    bindir: Path
    folder: Path
    port: int

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        """initdb and start a server on a free loopback port, as `postgres` when root."""
        folder = Path(tempfile.mkdtemp(prefix="scamwise-pg-"))
        server = cls(bindir, folder, _free_port())
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres", "postgres")
        data = str(folder / "data")
        server._run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync",
                    "-E", "UTF8", "--locale", "C.UTF-8")  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {server.port} -k {folder} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        log, wait = str(folder / "server.log"), str(int(START_TIMEOUT_S))
        server._run("pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", wait, "start")
        return server

    def _run(self, tool: str, *args: str) -> None:
        command: Sequence[str] = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({proc.returncode}): {proc.stderr}{tail}")

    def url(self, database: str = "postgres") -> str:
        """The asyncpg URL of one database on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL statement with psql and return its unaligned output."""
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        command = [str(self.bindir / "psql"), *where, "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {proc.stderr}")
        return proc.stdout.strip()

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        deadline = time.monotonic() + 30
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            while time.monotonic() < deadline:
                try:
                    shutil.rmtree(self.folder)
                    break
                except OSError:
                    time.sleep(0.2)
