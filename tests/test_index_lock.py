"""Two index builds at once: they take turns on a lock, and the index is always valid after."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.models import KnowledgeBase
from bot.search.index import META_FILE, load_index, read_meta
from bot.search.indexing import build_index
from tests.conftest import FakeEmbedder, make_entry

ROUNDS = 10


class Pausing(FakeEmbedder):
    """Hash vectors after a short pause, so that two builds overlap in time."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.01)
        return super().embed(texts)


def tiny_kb(n: int) -> KnowledgeBase:
    entries = tuple(
        make_entry(f"entry-{i}", f"Scam number {i}", (f"is offer {i} real", f"offer {i} pay"))
        for i in range(n)
    )
    return KnowledgeBase(entries=entries, sources={})


def test_two_builds_at_once_leave_a_valid_index_ten_times(tmp_path: Path) -> None:
    out = tmp_path / "index"
    kbs = [tiny_kb(3), tiny_kb(4)]
    for round_ in range(ROUNDS):
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def build(kb: KnowledgeBase, start: threading.Barrier = start) -> None:
            try:
                start.wait()
                build_index(kb, Pausing(), out, "fake-model")
            except BaseException as exc:  # reported below
                errors.append(exc)  # noqa: B023 (joined before the next round)

        threads = [threading.Thread(target=build, args=(kb,)) for kb in kbs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == [], (round_, errors)
        index, meta = load_index(out)  # every file meta.json names is there, checksums agree
        assert len(index) in (9, 12), round_
        vectors = sorted(p.name for p in out.glob("vectors-*.faiss"))
        assert vectors == [meta.faiss_file], (round_, vectors)
        assert not list(out.glob(".*.tmp")), round_


def test_stale_files_named_by_the_live_meta_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "index"
    build_index(tiny_kb(2), FakeEmbedder(), out, "fake-model")
    first = read_meta(out).faiss_file
    build_index(tiny_kb(3), FakeEmbedder(), out, "fake-model")
    assert not (out / first).exists()  # the older build's vectors are cleaned up
    assert (out / read_meta(out).faiss_file).is_file() and (out / META_FILE).is_file()


def test_a_second_build_waits_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.search.index import build_lock

    out = tmp_path / "index"
    order: list[str] = []
    with build_lock(out):
        thread = threading.Thread(
            target=lambda: (build_index(tiny_kb(2), FakeEmbedder(), out, "m"), order.append("b"))
        )
        thread.start()
        time.sleep(0.3)
        order.append("a")
    thread.join(timeout=30)
    assert order == ["a", "b"]
    assert f"another index build is running in {out}" in capsys.readouterr().err
    load_index(out)
