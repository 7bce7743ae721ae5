"""VectorIndex: validation, search order, atomic save/load, load errors and freshness checks."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import make_entry

import bot.search.index
from bot.errors import IndexCorruptError, IndexMissingError, IndexStaleError
from bot.knowledge.loader import content_hash
from bot.knowledge.models import Entry, KnowledgeBase, Source
from bot.search.index import (
    LOCK_FILE,
    META_FILE,
    IndexMeta,
    VectorIndex,
    check_fresh,
    load_index,
    read_meta,
)
from bot.search.indexing import build_index, index_texts

ANSWER = " ".join(["This is a curated answer about a scam and what to do about it."] * 5)


def entry(entry_id: str, title: str, questions: tuple[str, ...]) -> Entry:
    return make_entry(entry_id, title, questions, ANSWER, sources=("src",))


def small_kb(extra_question: str = "") -> KnowledgeBase:
    task_questions: tuple[str, ...] = ("they pay me to like videos", "top up to unlock commission")
    if extra_question:
        task_questions = (*task_questions, extra_question)
    return KnowledgeBase(
        entries=(
            entry("task-scam", "Task scams", task_questions),
            entry("pig-butchering", "Romance crypto scams", ("online lover wants me to invest",)),
            entry("fake-loan", "Fake loans", ("loan needs a fee before payout",)),
        ),
        sources={"src": Source("src", "A source", "Police", "2023")},
    )


def unit_vectors() -> np.ndarray:
    """Four vectors in 4-D, each mostly along its own axis."""
    vectors = np.eye(4, dtype=np.float32) + 0.1
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != LOCK_FILE)


def search_rows(directory: Path, queries: np.ndarray, k: int = 3) -> tuple[list, list]:
    index, _ = load_index(directory)
    scores, rows = index.search(queries, k)
    return scores.tolist(), [[index.payloads[r] for r in row] for row in rows]


# --- construction and search -------------------------------------------------------------


def test_count_mismatch_raises() -> None:
    with pytest.raises(ValueError, match="3 payloads"):
        VectorIndex(unit_vectors(), ["a", "b", "c"])


@pytest.mark.parametrize("shape", [(4,), (2, 2, 4)])
def test_non_2d_vectors_raise(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="2-D"):
        VectorIndex(np.zeros(shape, dtype=np.float32), ["a"] * shape[0])


def test_query_of_wrong_dimension_raises() -> None:
    index = VectorIndex(unit_vectors(), ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        index.search(np.zeros((1, 3), dtype=np.float32), 2)


def test_search_is_best_first() -> None:
    index = VectorIndex(unit_vectors(), ["a", "b", "c", "d"])
    query = np.array([[0.1, 0.2, 1.0, 0.5]], dtype=np.float32)
    scores, rows = index.search(query, 4)
    assert rows[0].tolist() == [2, 3, 1, 0]
    assert list(scores[0]) == sorted(scores[0], reverse=True)
    assert index.dim == 4 and len(index) == 4


def test_search_with_k_above_size_returns_every_row_once() -> None:
    index = VectorIndex(unit_vectors(), ["a", "b", "c", "d"])
    queries = unit_vectors()[:2]
    scores, rows = index.search(queries, 50)
    assert scores.shape == rows.shape == (2, 4)
    assert sorted(rows[0].tolist()) == [0, 1, 2, 3]
    assert rows[0][0] == 0 and rows[1][0] == 1


# --- save / load ---------------------------------------------------------------------------


def test_round_trip_keeps_search_results_and_metadata(tmp_path: Path, fake_embedder: Any) -> None:
    kb = small_kb()
    texts, payloads = index_texts(kb)
    vectors = fake_embedder.embed(texts)
    original = VectorIndex(vectors, payloads)
    counts = {"entries": 3, "vectors": len(texts), "sources": 1}
    saved = original.save(tmp_path / "idx", model="m-1", content_hash="abc", counts=counts)

    loaded, meta = load_index(tmp_path / "idx")
    queries = fake_embedder.embed(["like videos and top up", "loan fee", "invest with my lover"])
    want_scores, want_rows = original.search(queries, 10)
    got_scores, got_rows = loaded.search(queries, 10)
    np.testing.assert_array_equal(got_rows, want_rows)
    np.testing.assert_allclose(got_scores, want_scores)

    assert meta == saved == read_meta(tmp_path / "idx")
    assert (meta.model, meta.dim, meta.content_hash) == ("m-1", fake_embedder.dim, "abc")
    assert meta.counts == counts
    assert meta.payloads == payloads == loaded.payloads
    assert files_in(tmp_path / "idx") == sorted([META_FILE, meta.faiss_file])


def test_build_index_records_counts_and_content_hash(tmp_path: Path, fake_embedder: Any) -> None:
    kb = small_kb()
    meta = build_index(kb, fake_embedder, tmp_path, "fake-model")
    texts, payloads = index_texts(kb)
    assert meta.counts == {"entries": 3, "vectors": len(texts), "sources": 1}
    assert meta.content_hash == content_hash(kb)
    assert meta.payloads == payloads
    assert sum(fake_embedder.calls) == len(texts)


def _two_builds(tmp_path: Path, fake_embedder: Any) -> tuple[Path, IndexMeta, KnowledgeBase]:
    """A first good build in `idx`; returns the folder, its meta and a changed knowledge base."""
    out = tmp_path / "idx"
    first = build_index(small_kb(), fake_embedder, out, "fake-model")
    return out, first, small_kb(extra_question="why must i deposit before i withdraw")


def test_failed_faiss_write_keeps_previous_index(
    tmp_path: Path, fake_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, first, changed = _two_builds(tmp_path, fake_embedder)
    before = search_rows(out, fake_embedder.embed(["like videos"]))

    def broken_write(index: Any, path: str) -> None:
        Path(path).write_bytes(b"half a faiss file")
        raise OSError("disk full")

    monkeypatch.setattr(bot.search.index.faiss, "write_index", broken_write)
    with pytest.raises(OSError, match="disk full"):
        build_index(changed, fake_embedder, out, "fake-model")
    monkeypatch.undo()

    assert read_meta(out) == first
    assert search_rows(out, fake_embedder.embed(["like videos"])) == before
    _, meta = load_index(out)
    assert meta.content_hash == content_hash(small_kb()) != content_hash(changed)


def test_failed_meta_replace_keeps_previous_index_and_next_save_is_clean(
    tmp_path: Path, fake_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, first, changed = _two_builds(tmp_path, fake_embedder)
    real_replace = os.replace

    def replace_failing_for_meta(src: Any, dst: Any) -> None:
        if Path(dst).name == META_FILE:
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(bot.search.index.os, "replace", replace_failing_for_meta)
    with pytest.raises(OSError, match="power cut"):
        build_index(changed, fake_embedder, out, "fake-model")
    monkeypatch.undo()

    # The new vectors file may be left behind, but it was never committed: the old build holds.
    index, meta = load_index(out)
    assert meta == first and len(index) == len(first.payloads)
    assert not list(out.glob(".*.tmp"))

    third = build_index(changed, fake_embedder, out, "fake-model")
    assert files_in(out) == sorted([META_FILE, third.faiss_file])
    index, meta = load_index(out)
    assert meta.content_hash == content_hash(changed)
    assert len(index) == len(index_texts(changed)[0]) == len(first.payloads) + 1


def test_leftover_temp_files_are_ignored_and_cleaned(tmp_path: Path, fake_embedder: Any) -> None:
    out, first, changed = _two_builds(tmp_path, fake_embedder)
    leftovers = [
        out / ".vectors-20240101T000000000000Z.faiss.tmp",
        out / f".{META_FILE}.abc123.tmp",
        out / "vectors-20240101T000000000000Z.faiss",
    ]
    for path in leftovers:
        path.write_bytes(b"garbage from an interrupted build")

    index, meta = load_index(out)
    assert meta == first and len(index) == len(first.payloads)

    second = build_index(changed, fake_embedder, out, "fake-model")
    assert files_in(out) == sorted([META_FILE, second.faiss_file])
    assert load_index(out)[1] == second


# --- load errors ---------------------------------------------------------------------------


def test_missing_folder_raises_index_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match=r"build_index\.py") as info:
        load_index(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"model": "m"}', ""])
def test_unreadable_meta_raises_index_corrupt(
    tmp_path: Path, fake_embedder: Any, text: str
) -> None:
    build_index(small_kb(), fake_embedder, tmp_path, "fake-model")
    (tmp_path / META_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"meta\.json"):
        load_index(tmp_path)


def test_other_format_version_is_stale(tmp_path: Path, fake_embedder: Any) -> None:
    build_index(small_kb(), fake_embedder, tmp_path, "fake-model")
    data = json.loads((tmp_path / META_FILE).read_text(encoding="utf-8"))
    data["format_version"] = 99
    (tmp_path / META_FILE).write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexStaleError, match="rebuild"):
        load_index(tmp_path)


def test_truncated_faiss_file_fails_checksum(tmp_path: Path, fake_embedder: Any) -> None:
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake-model")
    path = tmp_path / meta.faiss_file
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(tmp_path)


def test_overwritten_faiss_file_of_same_size_fails_checksum(
    tmp_path: Path, fake_embedder: Any
) -> None:
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake-model")
    path = tmp_path / meta.faiss_file
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match="checksum"):
        load_index(tmp_path)


def test_meta_naming_missing_faiss_file(tmp_path: Path, fake_embedder: Any) -> None:
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake-model")
    (tmp_path / meta.faiss_file).unlink()
    with pytest.raises(IndexCorruptError, match="missing") as info:
        load_index(tmp_path)
    assert meta.faiss_file in str(info.value)


# --- freshness -----------------------------------------------------------------------------


def test_check_fresh_accepts_same_model_and_content(tmp_path: Path, fake_embedder: Any) -> None:
    kb = small_kb()
    meta = build_index(kb, fake_embedder, tmp_path, "fake-model")
    check_fresh(meta, model="fake-model", content_hash=content_hash(kb), where=tmp_path)


def test_check_fresh_rejects_other_model(tmp_path: Path, fake_embedder: Any) -> None:
    kb = small_kb()
    meta = build_index(kb, fake_embedder, tmp_path, "fake-model")
    with pytest.raises(IndexStaleError) as info:
        check_fresh(meta, model="other-model", content_hash=content_hash(kb), where=tmp_path)
    message = str(info.value)
    assert "'fake-model'" in message and "'other-model'" in message
    assert "python scripts/build_index.py" in message and str(tmp_path) in message


def test_check_fresh_rejects_other_content(tmp_path: Path, fake_embedder: Any) -> None:
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake-model")
    changed = content_hash(small_kb(extra_question="a new question"))
    with pytest.raises(IndexStaleError) as info:
        check_fresh(meta, model="fake-model", content_hash=changed, where=tmp_path)
    message = str(info.value)
    assert "other knowledge content" in message
    assert "python scripts/build_index.py" in message and str(tmp_path) in message
