"""What an index was built from: `meta.json`'s fields, and reading them back with clear errors.

`meta.json` is the commit point of a build (`bot.search.index`); a file that is missing,
unreadable, of the wrong JSON types or of another format version is an error that names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import IndexCorruptError, IndexMissingError, IndexStaleError

META_FILE = "meta.json"
FORMAT_VERSION = 3  # 2: the ONNX encoder file is part of the index; 3: the checker's vectors


@dataclass(frozen=True)
class EncoderRecord:
    """A file the bot runs (an encoder, a graph, jieba's dictionary), as recorded in meta.json."""

    file: str = ""
    source: str = ""


@dataclass(frozen=True)
class IndexMeta:
    """What an index was built from, stored beside it as JSON."""

    model: str
    dim: int
    content_hash: str
    built_at: str
    counts: dict[str, int]
    faiss_file: str = ""
    faiss_sha256: str = ""
    format_version: int = FORMAT_VERSION
    payloads: list[str] = field(default_factory=list)
    encoder_file: str = ""  # ONNX encoder in the same folder; "" when sentence-transformers runs
    encoder_sha256: str = ""
    encoder_source: str = ""  # fingerprint of the model files it was exported from
    checks_file: str = ""  # the message checker's vectors; "" when there are none
    checks_sha256: str = ""
    check_payloads: list[str] = field(default_factory=list)  # "entry:<id>" or "flag:<id>"
    # The encoder that made the checker's vectors and encodes messages (the int8 copy of
    # encoder_file); "" when the main encoder does both.
    check_encoder_file: str = ""
    check_encoder_sha256: str = ""
    zh_model: str = ""  # the encoder of Chinese questions; "" when the main model does it
    zh_dim: int = 0
    zh_faiss_file: str = ""  # the same rows (payloads) as faiss_file, encoded by zh_model
    zh_faiss_sha256: str = ""
    # The graph zh_model runs, in the same folder (`bot.search.encoders.prepare_zh_encoder`);
    # "" when it runs none, or for an index built before there was one.
    zh_encoder_file: str = ""
    zh_encoder_sha256: str = ""
    zh_encoder_source: str = ""  # fingerprint of what it was made from
    # jieba's prefix dictionary, read faster than jieba's own cache (`bot.search.segmenter`);
    # "" for an index built before there was one (jieba then loads its own).
    segmenter_file: str = ""
    segmenter_sha256: str = ""
    segmenter_source: str = ""


def read_meta(directory: Path) -> IndexMeta:
    """Read `meta.json`; raise IndexMissingError or IndexCorruptError with the path."""
    path = directory / META_FILE
    if not path.is_file():
        raise IndexMissingError(
            f"no index at {directory} ({META_FILE} is missing): "
            "run `python scripts/build_index.py`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        meta = IndexMeta(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}): rebuild the index") from exc
    wrong = _wrongly_typed(meta)
    if wrong:
        raise IndexCorruptError(
            f"{path} is unreadable (wrong type of {', '.join(wrong)}): rebuild the index"
        )
    if meta.format_version != FORMAT_VERSION:
        raise IndexStaleError(
            f"{path} has index format {meta.format_version}, this version reads "
            f"{FORMAT_VERSION}: rebuild the index"
        )
    return meta


_FIELD_TYPES: dict[str, type] = {
    "model": str,
    "dim": int,
    "content_hash": str,
    "built_at": str,
    "counts": dict,
    "faiss_file": str,
    "faiss_sha256": str,
    "format_version": int,
    "payloads": list,
    "encoder_file": str,
    "encoder_sha256": str,
    "encoder_source": str,
    "checks_file": str,
    "checks_sha256": str,
    "check_payloads": list,
    "check_encoder_file": str,
    "check_encoder_sha256": str,
    "zh_model": str,
    "zh_dim": int,
    "zh_faiss_file": str,
    "zh_faiss_sha256": str,
    "zh_encoder_file": str,
    "zh_encoder_sha256": str,
    "zh_encoder_source": str,
    "segmenter_file": str,
    "segmenter_sha256": str,
    "segmenter_source": str,
}


def _wrongly_typed(meta: IndexMeta) -> list[str]:
    """The fields of a parsed meta.json whose JSON type is not the one written by `save`."""
    wrong = [
        name
        for name, kind in _FIELD_TYPES.items()
        if not isinstance(getattr(meta, name), kind) or isinstance(getattr(meta, name), bool)
    ]
    for name in ("payloads", "check_payloads"):
        values = getattr(meta, name)
        if name not in wrong and not all(isinstance(p, str) for p in values):
            wrong.append(name)
    return wrong
