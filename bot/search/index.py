"""A small FAISS vector index with JSON metadata, saved atomically.

The index takes vectors and payloads (the entry id of each vector), never a model. On disk a
build is `vectors-<stamp>.faiss` (written with `faiss.write_index`) and `meta.json`,
which names that file, the message checker's vectors (`checks-<stamp>.faiss`: entries'
`examples:` and red-flag phrasings, with their own payloads) and the ONNX encoder file the
vectors were made with, if any (`bot.search.encoders`), and, when questions in Chinese have an
encoder of their own, the same rows encoded by it (`vectors-zh-<stamp>.faiss`) and the graph
that encoder runs, if it runs one (`encoder-zh-<hash>.onnx`), and jieba's prefix dictionary
(`segmenter-<hash>.json`, `bot.search.segmenter`). `meta.json`
is replaced last with `os.replace`, so it is the commit point: an interrupted build leaves the
previous meta and its vectors in place and usable.

Builds into one folder take turns on an exclusive lock (`build_lock`, the file `.build.lock`):
a second build started meanwhile (two `make run`, a Compose `index` run beside the bot) waits
for the first, then writes its own. Old files are deleted only by the build holding the lock,
and never a file that the live `meta.json` names.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bot.errors import IndexCorruptError, IndexStaleError, ScamWiseError
from bot.search.index_files import (  # noqa: F401  (LOCK_FILE, IndexBusyError: re-exported)
    LOCK_FILE,
    IndexBusyError,
    build_lock,
    fsync_file,
    sha256_file,
    write_json_atomic,
)
from bot.search.index_meta import (  # noqa: F401  (META_FILE, read_meta: re-exported)
    FORMAT_VERSION,
    META_FILE,
    EncoderRecord,
    IndexMeta,
    read_meta,
)


class VectorIndex:
    """Inner-product search over normalised vectors, each carrying a payload (an entry id)."""

    def __init__(self, vectors: np.ndarray, payloads: Sequence[str]) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
        if len(payloads) != vectors.shape[0]:
            raise ValueError(
                f"got {vectors.shape[0]} vectors but {len(payloads)} payloads; "
                "they must match one to one"
            )
        if vectors.shape[1] == 0:
            raise ValueError("vectors must have at least one dimension")
        self._faiss = faiss.IndexFlatIP(vectors.shape[1])
        self._faiss.add(np.ascontiguousarray(vectors))
        self.payloads: list[str] = list(payloads)

    @classmethod
    def _from_faiss(cls, index: Any, payloads: list[str]) -> VectorIndex:
        obj = cls.__new__(cls)
        obj._faiss = index
        obj.payloads = payloads
        return obj

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return int(self._faiss.d)

    def __len__(self) -> int:
        return int(self._faiss.ntotal)

    def vectors(self) -> np.ndarray:
        """All stored vectors as one (len, dim) array, in payload order."""
        return np.asarray(self._faiss.reconstruct_n(0, len(self)), dtype=np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, rows) of shape (n_queries, k'), best first; k' = min(k, len)."""
        queries = np.ascontiguousarray(np.asarray(queries, dtype=np.float32))
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise ValueError(f"queries must have shape (n, {self.dim}), got {queries.shape}")
        k = max(1, min(k, len(self)))
        scores, rows = self._faiss.search(queries, k)
        return scores, rows

    def save(
        self,
        directory: Path,
        *,
        model: str,
        content_hash: str,
        counts: dict[str, int],
        encoder: EncoderRecord | None = None,
        checks: VectorIndex | None = None,
        zh: tuple[str, VectorIndex] | None = None,
        check_encoder: EncoderRecord | None = None,
        zh_encoder: EncoderRecord | None = None,
        segmenter: EncoderRecord | None = None,
    ) -> IndexMeta:
        """Write the index atomically into `directory` and return its metadata.

        `encoder` names an encoder file already in `directory` that made these vectors;
        `checks` are the message checker's vectors, written beside them (made by
        `check_encoder`, a file in `directory`, when given); `zh` is the model that encodes
        Chinese questions and these rows encoded by it (running `zh_encoder`, a file in
        `directory`, when given); `segmenter` is jieba's prefix dictionary, a file in
        `directory` (`bot.search.segmenter`).
        """
        if zh is not None and zh[1].payloads != self.payloads:
            raise ValueError("the Chinese encoder's vectors must hold the same rows")
        if zh is None and zh_encoder is not None and zh_encoder.file:
            raise ValueError("a Chinese questions' encoder file needs their vectors (zh)")
        given = (encoder, check_encoder, zh_encoder, segmenter)
        encoders = tuple(e or EncoderRecord() for e in given)
        with build_lock(directory):
            return self._save(directory, model, content_hash, counts, encoders, checks, zh)

    def _save(
        self,
        directory: Path,
        model: str,
        content_hash: str,
        counts: dict[str, int],
        encoders: tuple[EncoderRecord, ...],
        checks: VectorIndex | None,
        zh: tuple[str, VectorIndex] | None = None,
    ) -> IndexMeta:
        """`save` under the build lock (`encoders`: the files the bot runs: the main encoder,
        the checker's, Chinese questions' and jieba's dictionary)."""
        encoder, check_encoder, zh_encoder, segmenter = encoders
        for record in encoders:
            if record.file and not (directory / record.file).is_file():
                raise ValueError(f"file {record.file!r} is not in {directory}")
            if record.file:
                fsync_file(directory / record.file)  # on disk before meta.json names it
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        faiss_name = f"vectors-{stamp}.faiss"
        self._write(directory, faiss_name)
        checks_name = f"checks-{stamp}.faiss" if checks is not None else ""
        if checks is not None:
            checks._write(directory, checks_name)
        zh_name = f"vectors-zh-{stamp}.faiss" if zh is not None else ""
        if zh is not None:
            zh[1]._write(directory, zh_name)
        meta = IndexMeta(
            model=model,
            dim=self.dim,
            content_hash=content_hash,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            counts=dict(counts),
            faiss_file=faiss_name,
            faiss_sha256=sha256_file(directory / faiss_name),
            payloads=self.payloads,
            encoder_file=encoder.file,
            encoder_sha256=sha256_file(directory / encoder.file) if encoder.file else "",
            encoder_source=encoder.source,
            checks_file=checks_name,
            checks_sha256=sha256_file(directory / checks_name) if checks_name else "",
            check_payloads=checks.payloads if checks is not None else [],
            check_encoder_file=check_encoder.file,
            check_encoder_sha256=(
                sha256_file(directory / check_encoder.file) if check_encoder.file else ""
            ),
            zh_model=zh[0] if zh is not None else "",
            zh_dim=zh[1].dim if zh is not None else 0,
            zh_faiss_file=zh_name,
            zh_faiss_sha256=sha256_file(directory / zh_name) if zh_name else "",
            zh_encoder_file=zh_encoder.file,
            zh_encoder_sha256=(
                sha256_file(directory / zh_encoder.file) if zh_encoder.file else ""
            ),
            zh_encoder_source=zh_encoder.source,
            segmenter_file=segmenter.file,
            segmenter_sha256=sha256_file(directory / segmenter.file) if segmenter.file else "",
            segmenter_source=segmenter.source,
        )
        write_json_atomic(directory / META_FILE, asdict(meta))
        keep = {faiss_name, checks_name, zh_name, *(e.file for e in encoders)}
        _remove_stale_files(directory, keep)
        return meta

    def _write(self, directory: Path, name: str) -> None:
        """Write the FAISS file under a temporary name, fsync it, then rename it."""
        tmp = directory / f".{name}.tmp"
        faiss.write_index(self._faiss, str(tmp))
        fsync_file(tmp)
        os.replace(tmp, directory / name)


def load_index(directory: Path) -> tuple[VectorIndex, IndexMeta]:
    """Load an index and check that its files agree with each other."""
    meta = read_meta(directory)
    path = _checked_file(directory, meta.faiss_file, meta.faiss_sha256)
    if meta.encoder_file:
        _checked_file(directory, meta.encoder_file, meta.encoder_sha256)
    if meta.checks_file:
        _checked_file(directory, meta.checks_file, meta.checks_sha256)
    if meta.check_encoder_file:
        _checked_file(directory, meta.check_encoder_file, meta.check_encoder_sha256)
    if meta.zh_faiss_file:
        _checked_file(directory, meta.zh_faiss_file, meta.zh_faiss_sha256)
    if meta.zh_encoder_file:
        _checked_file(directory, meta.zh_encoder_file, meta.zh_encoder_sha256)
    if meta.segmenter_file:
        _checked_file(directory, meta.segmenter_file, meta.segmenter_sha256)
    return _read_vectors(path, meta.payloads, meta.dim), meta


def load_zh_vectors(directory: Path, meta: IndexMeta) -> VectorIndex | None:
    """The index rows encoded by the Chinese questions' encoder; None when there is none."""
    if not meta.zh_faiss_file:
        return None
    path = _checked_file(directory, meta.zh_faiss_file, meta.zh_faiss_sha256)
    return _read_vectors(path, meta.payloads, meta.zh_dim)


def load_checks(directory: Path, meta: IndexMeta) -> VectorIndex | None:
    """The message checker's vectors named by meta.json, checked; None when it names none."""
    if not meta.checks_file:
        return None
    path = _checked_file(directory, meta.checks_file, meta.checks_sha256)
    return _read_vectors(path, meta.check_payloads, meta.dim)


def _read_vectors(path: Path, payloads: list[str], dim: int) -> VectorIndex:
    """A FAISS file read back, holding exactly one vector of `dim` per payload."""
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(f"cannot read {path}: {exc}") from exc
    if index.ntotal != len(payloads) or index.d != dim:
        raise IndexCorruptError(
            f"{path} holds {index.ntotal} vectors of dimension {index.d} but {META_FILE} "
            f"describes {len(payloads)} of dimension {dim}: rebuild the index"
        )
    return VectorIndex._from_faiss(index, list(payloads))


def _checked_file(directory: Path, name: str, sha256: str) -> Path:
    """A file meta.json names, present and with the checksum it records."""
    path = directory / name
    if not path.is_file():
        raise IndexCorruptError(f"{path} named by {directory / META_FILE} is missing: rebuild")
    if sha256_file(path) != sha256:
        raise IndexCorruptError(f"{path} does not match its checksum in {META_FILE}: rebuild")
    return path


def encoder_path(directory: Path, meta: IndexMeta) -> Path | None:
    """The ONNX encoder the index was built with, or None when sentence-transformers ran."""
    return directory / meta.encoder_file if meta.encoder_file else None


def zh_encoder_path(directory: Path, meta: IndexMeta) -> Path | None:
    """The graph Chinese questions' encoder runs, or None when the index holds none."""
    return directory / meta.zh_encoder_file if meta.zh_encoder_file else None


def segmenter_path(directory: Path, meta: IndexMeta) -> Path | None:
    """jieba's prefix dictionary in the index, or None when the index holds none."""
    return directory / meta.segmenter_file if meta.segmenter_file else None


def check_encoder_path(directory: Path, meta: IndexMeta) -> Path | None:
    """The ONNX encoder of the checker's vectors and messages: its own int8 one if it has one,
    else the index's."""
    if meta.check_encoder_file:
        return directory / meta.check_encoder_file
    return encoder_path(directory, meta)


# The commands that rebuild the index from a checkout: make sets up .venv first; the second one
# works once .venv exists (a bare `python` may be one without the project's dependencies).
REBUILD = "run `make index` (or `.venv/bin/python scripts/build_index.py`) to rebuild it"


def check_fresh(
    meta: IndexMeta,
    *,
    model: str,
    content_hash: str,
    where: Path,
    zh_model: str | None = None,
    zh_source: str | None = None,
) -> None:
    """Raise IndexStaleError when the index was built from other content or another model.

    `zh_model` is the encoder of Chinese questions the settings ask for ("" for the main
    model); None leaves it unchecked (an embedder given by the caller encodes everything).
    `zh_source` is the fingerprint of the files its graph would be made from now
    (`bot.search.encoders.zh_encoder_source`): a graph in the index made from others is stale.
    """
    if meta.model != model:
        raise IndexStaleError(
            f"the index in {where} was built with model {meta.model!r} but SCAMWISE_MODEL is "
            f"{model!r}: {REBUILD}"
        )
    if meta.content_hash != content_hash:
        raise IndexStaleError(
            f"the index in {where} was built from other knowledge content (built "
            f"{meta.built_at}): {REBUILD}"
        )
    if zh_model is not None and meta.zh_model != zh_model:
        built = repr(meta.zh_model) if meta.zh_model else "none (the main model)"
        wanted = repr(zh_model) if zh_model else "the main model"
        raise IndexStaleError(
            f"the index in {where} was built with Chinese-question model {built} but "
            f"SCAMWISE_ZH_MODEL asks for {wanted}: {REBUILD}"
        )
    if zh_source is not None and meta.zh_encoder_file and meta.zh_encoder_source != zh_source:
        raise IndexStaleError(
            f"{where / meta.zh_encoder_file} was made for SCAMWISE_ZH_MODEL={meta.zh_model!r} "
            f"from other model files than those installed now: {REBUILD}"
        )


def _remove_stale_files(directory: Path, keep: set[str]) -> None:
    """Delete vector and encoder files of older builds and temp files of interrupted ones.

    Called under the build lock; whatever the live meta.json names is kept in any case.
    """
    try:
        live = read_meta(directory)
        keep |= {live.faiss_file, live.checks_file, live.encoder_file, live.zh_faiss_file}
        keep |= {live.check_encoder_file, live.zh_encoder_file, live.segmenter_file}
    except ScamWiseError:
        pass
    for pattern in ("vectors-*.faiss", "checks-*.faiss", "encoder-*.onnx", "segmenter-*.json"):
        for path in directory.glob(pattern):
            if path.name not in keep:
                path.unlink(missing_ok=True)
    for path in directory.glob(".*.tmp"):
        path.unlink(missing_ok=True)
    for pattern in (".export-*", ".quantize-*"):  # left by an export that was killed
        for path in directory.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
