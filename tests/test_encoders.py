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
from bot.errors import IndexCorruptError
from bot.search.embedder import DEFAULT_MODEL, resolve_model
from bot.search.encoders import (
    EncoderFile,
    check_file_name,
    prepare_check_encoder,
    prepare_encoder,
    source_fingerprint,
)
from bot.search.index import (
    LOCK_FILE,
    META_FILE,
    check_encoder_path,
    encoder_path,
    load_index,
    read_meta,
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
    build_index(kb, fake_embedder, tmp_path, DEFAULT_MODEL, encoder=encoder, check=check)
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
