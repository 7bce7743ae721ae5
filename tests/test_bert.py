"""The torch-only BERT encoder gives the same vectors as sentence-transformers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


def test_mixed_lengths_are_padded_in_separate_passes(real_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model = real_embedder._get_model()
    passes: list[list[int]] = []
    forward = model._forward

    def recording_forward(encodings):  # type: ignore[no-untyped-def]
        passes.append([sum(e.attention_mask) for e in encodings])
        return forward(encodings)

    monkeypatch.setattr(model, "_forward", recording_forward)
    short = [f"is job {i} a scam" for i in range(12)]
    texts = [*short, "word " * 200]
    vectors = real_embedder.embed(texts)
    # The short questions are not padded to the long message's 200 tokens.
    assert sorted(len(p) for p in passes) == [1, 12]
    assert max(max(p) for p in passes if len(p) == 12) < 12
    alone = real_embedder.embed(short[:1])
    assert np.abs(vectors[0] - alone[0]).max() < 1e-4


def chunk_cost(lengths: list[int], chunks: list[tuple[int, int]], pass_cost: int) -> int:
    return sum(pass_cost + lengths[end - 1] * (end - start) for start, end in chunks)


def all_splits(n: int) -> list[list[tuple[int, int]]]:
    if n == 0:
        return [[]]
    return [[*rest, (cut, n)] for cut in range(n) for rest in all_splits(cut)]


@given(st.lists(st.integers(1, 60), max_size=8), st.integers(0, 40))
def test_plan_chunks_is_the_cheapest_split_within_budget(lengths: list[int], cost: int) -> None:
    lengths.sort()
    budget = 120
    chunks = bert.plan_chunks(lengths, budget, cost)
    assert [i for start, end in chunks for i in range(start, end)] == list(range(len(lengths)))
    assert all(end - start == 1 or lengths[end - 1] * (end - start) <= budget
               for start, end in chunks)  # fmt: skip
    allowed = [
        split
        for split in all_splits(len(lengths))
        if all(e - s == 1 or lengths[e - 1] * (e - s) <= budget for s, e in split)
    ]
    assert chunk_cost(lengths, chunks, cost) == min(chunk_cost(lengths, s, cost) for s in allowed)


def test_plan_chunks_needs_sorted_lengths() -> None:
    with pytest.raises(ValueError, match="ascending"):
        bert.plan_chunks([5, 3], 100, 10)
