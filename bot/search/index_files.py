"""The index folder's files: the build lock, checksums and atomic, fsynced writes."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from bot.errors import ScamWiseError

LOCK_FILE = ".build.lock"
BUILD_LOCK_TIMEOUT_S = 1800.0  # a build of 10,000 entries takes about 3 minutes


class IndexBusyError(ScamWiseError):
    """Another build kept the index folder locked for too long."""


@contextmanager
def build_lock(directory: Path, timeout_s: float = BUILD_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the folder's build lock; wait (saying so on stderr) while another build has it.

    Re-entrant in one thread, so a build may take it around steps that take it again.
    """
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(directory / LOCK_FILE, is_singleton=True)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(
            f"another index build is running in {directory}: waiting for it to finish",
            file=sys.stderr,
        )
        try:
            lock.acquire(timeout=timeout_s)
        except Timeout:
            raise IndexBusyError(
                f"another index build has held {directory / LOCK_FILE} for {timeout_s:.0f} s: "
                "stop it (or wait), then build again"
            ) from None
    try:
        yield
    finally:
        lock.release()


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    """Flush a file's bytes to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: dict[str, Any], indent: int | None = 1) -> None:
    """Write JSON to a temp file in the same folder, fsync it, then rename it over `path`."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write bytes to a temp file in the same folder, fsync it, then rename it over `path`
    (a killed writer leaves no partial file under that name)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
