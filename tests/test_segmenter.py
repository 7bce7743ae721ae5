"""jieba's prefix dictionary travels with the index: the same dictionary, read faster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_index import small_kb

import bot.search.lexical
from bot.errors import IndexCorruptError
from bot.search.encoders import EncoderFile, prepare_segmenter
from bot.search.index import load_index, read_meta, segmenter_path
from bot.search.indexing import build_index
from bot.search.segmenter import (
    dictionary_source,
    file_name,
    loaded_tokenizer,
    read_prefix_dict,
    write_prefix_dict,
)

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["有人在tg上私信我说高薪兼职", "刷单返利是不是骗局", "网上认识的人叫我下载交易平台投资"]


@pytest.fixture(scope="module")
def jiebas_own() -> Any:
    """jieba's tokenizer with the dictionary it loads itself."""
    import jieba

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("segmenter") / file_name(dictionary_source())
    write_prefix_dict(path, dictionary_source())
    return path


def test_the_file_holds_jiebas_own_dictionary(written: Path, jiebas_own: Any) -> None:
    ours = loaded_tokenizer(written)
    assert ours.initialized and ours.total == jiebas_own.total
    assert ours.FREQ == jiebas_own.FREQ and len(ours.FREQ) > 400_000
    for text in TEXTS:
        assert ours.lcut_for_search(text) == jiebas_own.lcut_for_search(text)
    assert not list(written.parent.glob(".*.tmp"))  # written under a temp name, renamed whole


def test_a_file_from_another_jieba_is_not_used(written: Path, tmp_path: Path) -> None:
    data = json.loads(written.read_text(encoding="utf-8"))
    data["source"] = "another jieba"
    data["words"] = "骗\n骗局"
    data["counts"] = [0, 5]
    other = tmp_path / "segmenter-other.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    assert read_prefix_dict(other) is None
    assert len(loaded_tokenizer(other).FREQ) > 400_000  # jieba built its own instead


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("counts"),
        lambda d: d.update(counts=d["counts"][:-1]),
        lambda d: d.update(total="many"),
    ],
)
def test_a_damaged_file_names_itself(written: Path, tmp_path: Path, damage: Any) -> None:
    data = json.loads(written.read_text(encoding="utf-8"))
    damage(data)
    broken = tmp_path / "segmenter-broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="rebuild the index") as info:
        read_prefix_dict(broken)
    assert str(broken) in str(info.value)


def test_the_index_records_the_dictionary_reuses_it_and_checks_it(
    tmp_path: Path, fake_embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = prepare_segmenter(tmp_path)
    assert first.path.name == file_name(dictionary_source()) and first.path.is_file()
    old = tmp_path / "segmenter-0000000000000000.json"
    old.write_text("{}")
    meta = build_index(small_kb(), fake_embedder, tmp_path, "fake", segmenter=first)
    assert (meta.segmenter_file, meta.segmenter_source) == (first.path.name, first.source)
    assert segmenter_path(tmp_path, meta) == first.path and not old.exists()

    def refuse(*_: object) -> None:
        raise AssertionError("the dictionary was written again")

    monkeypatch.setattr(bot.search.segmenter, "write_prefix_dict", refuse)
    assert prepare_segmenter(tmp_path) == first
    first.path.write_text("{}")
    with pytest.raises(IndexCorruptError, match=r"segmenter-\w+\.json does not match"):
        load_index(tmp_path)


def test_an_index_without_the_dictionary_is_rebuilt_by_make(
    tmp_path: Path, fake_embedder: Any
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_index_s", ROOT / "scripts/build_index.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    build_index(small_kb(), fake_embedder, tmp_path, "fake")
    assert not script.is_fresh(tmp_path, small_kb(), "fake")
    segmenter = EncoderFile(prepare_segmenter(tmp_path).path, dictionary_source())
    build_index(small_kb(), fake_embedder, tmp_path, "fake", segmenter=segmenter)
    assert script.is_fresh(tmp_path, small_kb(), "fake")


def test_the_bot_loads_jieba_from_the_indexs_dictionary(
    real_index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.app import open_retriever
    from bot.settings import load_settings

    loads: list[Path | None] = []

    def recording(prefix_dict: Path | None) -> Any:
        loads.append(prefix_dict)
        return loaded_tokenizer(prefix_dict)

    monkeypatch.setattr(bot.search.lexical, "_SEGMENTER", None)  # as in a new process
    monkeypatch.setattr(bot.search.lexical, "loaded_tokenizer", recording)
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(real_index_dir))
    retriever = open_retriever(load_settings())
    meta = read_meta(real_index_dir)
    assert loads == [real_index_dir / meta.segmenter_file]
    assert retriever.search("刷单返利是不是骗局").hits[0].entry_id == "task-scam"
