"""Sentence vectors from a BERT model folder through ONNX Runtime, without torch.

sentence-transformers imports torch, transformers, scikit-learn and SciPy, which costs about
ten seconds before the first answer and half a gigabyte of memory. For the common case (a BERT
model with mean pooling, as all-MiniLM-L6-v2) the index build exports the model to one ONNX
file (`bot.search.onnx_export`), and this module runs it with the model's own `tokenizer.json`.
`tests/test_bert.py` checks that the float32 export gives sentence-transformers' vectors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from bot.search.onnx_export import INPUT_NAMES, ONE_TEXT_PER_PASS

# Padded tokens per forward pass: bounds memory (attention grows with length squared).
TOKEN_BUDGET = 2048
# The fixed cost of one forward pass, in padded tokens. Measured on the 2-core machine with
# ONNX Runtime: about 2.9 ms + 0.33 ms per padded token on one thread (9 tokens), 2.8 ms +
# 0.17 ms on two (16 tokens). Under load, 12 and the 32 measured for torch gave the same rate.
PASS_COST_TOKENS = 12

_MODULES = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}


_FIRST_TWO = ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling"]


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def supports(folder: Path) -> bool:
    """True when `folder` is a BERT model with mean pooling that this encoder reproduces."""
    try:
        modules = [m["type"] for m in _read_json(folder / "modules.json")]
        config = _read_json(folder / "config.json")
        pooling = _read_json(folder / "1_Pooling" / "config.json")
    except (OSError, ValueError, KeyError, TypeError):
        return False
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    return (
        modules[:2] == _FIRST_TWO
        and set(modules) <= _MODULES
        and modes == {"pooling_mode_mean_tokens"}
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


class BertSentenceEncoder:
    """Tokenise and run the ONNX export (`bot.search.onnx_export`) in length-matched passes."""

    def __init__(self, folder: Path, onnx_file: Path, num_threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = _read_json(folder / "config.json")
        st_config = folder / "sentence_bert_config.json"
        max_len = _read_json(st_config).get("max_seq_length", 256) if st_config.exists() else 256
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(max_len))
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))
        self.dim = int(config["hidden_size"])
        options = onnxruntime.SessionOptions()
        # Cores per call. With 1, a call runs on its caller's thread: no pool, no barriers.
        options.intra_op_num_threads = num_threads
        self._session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        # An int8 encoder scales its activations per pass: alone, a text's vector is its own.
        metadata = self._session.get_modelmeta().custom_metadata_map
        self.one_per_pass = metadata.get(ONE_TEXT_PER_PASS) == "1"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, shape (n, hidden_size), float32.

        Texts are sorted by length and run in chunks chosen by `plan_chunks`: less padding is
        less work, and memory stays bounded when long messages arrive together.
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        # The tokenizer pads every encoding to the longest text: count the real tokens.
        real = [sum(e.attention_mask) for e in encodings]
        order = sorted(range(len(encodings)), key=real.__getitem__)
        out = np.zeros((len(encodings), self.dim), dtype=np.float32)
        lengths = [real[i] for i in order]
        chunks = (
            [(i, i + 1) for i in range(len(order))]
            if self.one_per_pass
            else plan_chunks(lengths, TOKEN_BUDGET, PASS_COST_TOKENS)
        )
        for start, end in chunks:
            chunk = order[start:end]
            out[chunk] = self._forward([encodings[i] for i in chunk], lengths[end - 1])
        return out

    def _forward(self, encodings: list[Any], length: int) -> np.ndarray:
        """Run one pass, cutting the padding down to `length` (the chunk's longest text)."""
        feed = {
            name: np.array([getattr(e, field)[:length] for e in encodings], dtype=np.int64)
            for name, field in zip(INPUT_NAMES, ("ids", "attention_mask", "type_ids"), strict=True)
        }
        return np.asarray(self._session.run(None, feed)[0], dtype=np.float32)


def plan_chunks(lengths: Sequence[int], budget: int, pass_cost: int) -> list[tuple[int, int]]:
    """Split ascending token counts into [start, end) chunks that cost the least work.

    A chunk pads every text to its longest, so it costs `pass_cost + longest * size` tokens
    and holds at most `budget` padded tokens (a single longer text still gets its own pass).
    One pass over mixed lengths pads short questions to the longest; many tiny passes pay the
    fixed cost again and again; this finds the cheapest split between the two.
    """
    n = len(lengths)
    if any(b < a for a, b in pairwise(lengths)):
        raise ValueError("lengths must be sorted in ascending order")
    best = [0] * (n + 1)  # best[j]: least cost of encoding the first j texts
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        longest = max(lengths[end - 1], 1)
        widest = max(1, budget // longest)
        best[end], cut[end] = min(
            (best[start] + pass_cost + longest * (end - start), start)
            for start in range(max(0, end - widest), end)
        )
    chunks = []
    end = n
    while end > 0:
        chunks.append((cut[end], end))
        end = cut[end]
    return chunks[::-1]
