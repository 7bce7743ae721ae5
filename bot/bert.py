"""A small BERT sentence encoder in plain PyTorch for sentence-transformers model folders.

sentence-transformers imports transformers, scikit-learn and SciPy, which costs about ten
seconds before the first answer. For the common case (a BERT model with mean pooling and
normalisation, as all-MiniLM-L6-v2) this module computes the same vectors from the same files
(`model.safetensors`, `tokenizer.json`) with torch alone, so the bot is ready in seconds.
`tests/test_bert.py` checks that both give the same vectors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

# Padded tokens per forward pass: bounds memory (attention grows with length squared).
TOKEN_BUDGET = 2048
# The fixed cost of one forward pass, in padded tokens: measured on a 2-core CPU, one pass of
# all-MiniLM-L6-v2 costs about 8 ms plus 0.25 ms per padded token.
PASS_COST_TOKENS = 32

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
        modules[:2]
        == [
            "sentence_transformers.models.Transformer",
            "sentence_transformers.models.Pooling",
        ]
        and set(modules) <= _MODULES
        and modes == {"pooling_mode_mean_tokens"}
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


class BertSentenceEncoder:
    """Tokenise, run the BERT layers, mean-pool over real tokens, L2-normalise."""

    def __init__(self, folder: Path, num_threads: int | None = None) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        if num_threads:
            torch.set_num_threads(num_threads)
        self._torch = torch
        self.config = _read_json(folder / "config.json")
        self.normalize = "sentence_transformers.models.Normalize" in {
            m["type"] for m in _read_json(folder / "modules.json")
        }
        st_config = folder / "sentence_bert_config.json"
        max_len = _read_json(st_config).get("max_seq_length", 256) if st_config.exists() else 256
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(max_len))
        self.tokenizer.enable_padding(pad_id=int(self.config.get("pad_token_id", 0)))
        weights = load_file(folder / "model.safetensors")
        self.w = {k.removeprefix("bert."): v for k, v in weights.items()}
        self.dim = int(self.config["hidden_size"])

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
        for start, end in plan_chunks(lengths, TOKEN_BUDGET, PASS_COST_TOKENS):
            chunk = order[start:end]
            out[chunk] = self._forward([encodings[i] for i in chunk])
        return out

    def _forward(self, encodings: list[Any]) -> np.ndarray:
        torch = self._torch
        length = max(sum(e.attention_mask) for e in encodings)
        ids = torch.tensor([e.ids[:length] for e in encodings], dtype=torch.long)
        mask = torch.tensor([e.attention_mask[:length] for e in encodings], dtype=torch.long)
        types = torch.tensor([e.type_ids[:length] for e in encodings], dtype=torch.long)
        with torch.inference_mode():
            hidden = self._embed(ids, types)
            keep = mask[:, None, None, :].bool()
            for layer in range(int(self.config["num_hidden_layers"])):
                hidden = self._layer(hidden, keep, f"encoder.layer.{layer}.")
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            if self.normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.numpy().astype(np.float32)

    def _norm(self, x: Any, prefix: str) -> Any:
        eps = float(self.config.get("layer_norm_eps", 1e-12))
        return self._torch.nn.functional.layer_norm(
            x, (self.dim,), self.w[prefix + "weight"], self.w[prefix + "bias"], eps
        )

    def _linear(self, x: Any, prefix: str) -> Any:
        weight, bias = self.w[prefix + "weight"], self.w[prefix + "bias"]
        return self._torch.nn.functional.linear(x, weight, bias)

    def _embed(self, ids: Any, types: Any) -> Any:
        positions = self._torch.arange(ids.shape[1]).unsqueeze(0)
        x = (
            self.w["embeddings.word_embeddings.weight"][ids]
            + self.w["embeddings.position_embeddings.weight"][positions]
            + self.w["embeddings.token_type_embeddings.weight"][types]
        )
        return self._norm(x, "embeddings.LayerNorm.")

    def _layer(self, x: Any, keep: Any, p: str) -> Any:
        functional = self._torch.nn.functional
        heads = int(self.config["num_attention_heads"])
        batch, length, _ = x.shape

        def split(t: Any) -> Any:
            return t.view(batch, length, heads, self.dim // heads).transpose(1, 2)

        q = split(self._linear(x, p + "attention.self.query."))
        k = split(self._linear(x, p + "attention.self.key."))
        v = split(self._linear(x, p + "attention.self.value."))
        context = functional.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        context = context.transpose(1, 2).reshape(x.shape)
        x = self._norm(
            x + self._linear(context, p + "attention.output.dense."),
            p + "attention.output.LayerNorm.",
        )
        inner = functional.gelu(self._linear(x, p + "intermediate.dense."))
        return self._norm(x + self._linear(inner, p + "output.dense."), p + "output.LayerNorm.")


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
