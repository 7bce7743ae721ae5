"""The torch-only BERT encoder gives the same vectors as sentence-transformers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from bot import bert
from bot.embedder import DEFAULT_MODEL, SentenceTransformerEmbedder, resolve_model

TEXTS = [
    "hello",
    "they pay 500 a day to like tiktok videos but now i must top up to unlock my commission",
    "刷单返利 是真的吗",
    "😀🔥",
    "word " * 400,  # longer than the model's 256-token limit: truncated the same way
]


def test_same_vectors_as_sentence_transformers(real_embedder) -> None:  # type: ignore[no-untyped-def]
    reference = SentenceTransformerEmbedder(DEFAULT_MODEL, backend="sentence-transformers")
    expected = reference.embed(TEXTS)
    got = real_embedder.embed(TEXTS)
    assert isinstance(real_embedder._get_model(), bert.BertSentenceEncoder)
    assert got.shape == expected.shape == (len(TEXTS), 384)
    assert np.abs(got - expected).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_batches_do_not_change_vectors(real_embedder) -> None:  # type: ignore[no-untyped-def]
    together = real_embedder.embed(TEXTS[:3])
    alone = np.vstack([real_embedder.embed([t]) for t in TEXTS[:3]])
    assert np.abs(together - alone).max() < 1e-4


def test_other_model_folders_fall_back(tmp_path: Path) -> None:
    source = Path(resolve_model(DEFAULT_MODEL))
    assert bert.supports(source)
    copy = tmp_path / "model"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("model.safetensors"))
    assert not bert.supports(copy)  # no safetensors weights
    (copy / "model.safetensors").symlink_to(source / "model.safetensors")
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config["pooling_mode_cls_token"] = True
    pooling.write_text(json.dumps(config))
    assert not bert.supports(copy)  # CLS pooling is not what bot.bert computes
    assert not bert.supports(tmp_path / "missing")
