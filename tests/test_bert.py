"""The ONNX encoder gives sentence-transformers' vectors, in any batch and from any thread."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.search import bert
from bot.search.embedder import (
    DEFAULT_MODEL,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    resolve_model,
)

TEXTS = [
    "hello",
    "they pay 500 a day to like tiktok videos but now i must top up to unlock my commission",
    "刷单返利 是真的吗",
    "😀🔥",
    "word " * 400,  # longer than the model's 256-token limit: truncated the same way
]


def test_same_vectors_as_sentence_transformers(real_embedder) -> None:  # type: ignore[no-untyped-def]
    reference = SentenceTransformerEmbedder(DEFAULT_MODEL)
    expected = reference.embed(TEXTS)
    got = real_embedder.embed(TEXTS)
    assert isinstance(real_embedder, OnnxEmbedder)
    assert isinstance(real_embedder._loaded(), bert.BertSentenceEncoder)
    assert got.shape == expected.shape == (len(TEXTS), 384)
    assert np.abs(got - expected).max() < 1e-4
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_batches_do_not_change_vectors(real_embedder) -> None:  # type: ignore[no-untyped-def]
    # A question's vector must not depend on who else asks at the same moment (int8 dynamic
    # quantisation failed this, which is why the export stays float32).
    together = real_embedder.embed(TEXTS[:4])
    alone = np.vstack([real_embedder.embed([t]) for t in TEXTS[:4]])
    assert np.abs(together - alone).max() < 1e-5


def test_threads_can_share_the_encoder(real_embedder) -> None:  # type: ignore[no-untyped-def]
    questions = [f"question {i}: is a job paying {i * 100} a day for likes real" for i in range(8)]
    expected = real_embedder.embed(questions)
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda q: real_embedder.embed([q])[0], questions))
    assert np.abs(np.vstack(rows) - expected).max() < 1e-5


def test_answering_does_not_import_torch(real_encoder) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys; from pathlib import Path; from bot.search.embedder import make_embedder; "
        f"v = make_embedder({DEFAULT_MODEL!r}, Path(sys.argv[1]), 1).embed(['is this real']); "
        "print(v.shape, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-c", code, str(real_encoder.path)],
        capture_output=True, text=True, cwd=root, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["(1,", "384)", "False", "False"]


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
    assert not bert.supports(copy)  # CLS pooling is not what bot.search.bert computes
    assert not bert.supports(tmp_path / "missing")


def test_mixed_lengths_are_padded_in_separate_passes(real_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model = real_embedder._loaded()
    passes: list[list[int]] = []
    forward = model._forward

    def recording_forward(encodings, length):  # type: ignore[no-untyped-def]
        passes.append([sum(e.attention_mask) for e in encodings])
        return forward(encodings, length)

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
