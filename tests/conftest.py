"""Shared fixtures: an isolated working folder, a fake embedder, the real model and index."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import Entry, KnowledgeBase
from tests.pg_server import PostgresServer, find_bindir

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DEV_SET = ROOT / "tests" / "data" / "dev_questions.yaml"


class FakeEmbedder:
    """Deterministic bag-of-hashed-words vectors: similar wording gives similar vectors."""

    name = "fake-hash-embedder"

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim
        self.calls: list[int] = []  # batch size of every embed call

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.sha256(word.encode()).digest()
                out[row, digest[0] % self._dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


def make_entry(
    entry_id: str,
    title: str,
    questions: tuple[str, ...],
    answer: str | None = None,
    sources: tuple[str, ...] = (),
) -> Entry:
    """A small hand-made jobs entry for tests that build their own knowledge base."""
    return Entry(
        id=entry_id,
        topic="jobs",
        title=title,
        questions=questions,
        answer=answer if answer is not None else f"{title}: what it is and what to do.",
        red_flags=("They ask for money.",),
        what_to_do=("Stop and report it.",),
        sources=sources,
    )


def copy_knowledge(dest: Path) -> KnowledgeBase:
    """A private copy of the knowledge folder (without its index), loaded and validated."""
    shutil.copytree(KNOWLEDGE, dest, ignore=shutil.ignore_patterns("index"))
    return load_knowledge(dest)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run every test in its own empty folder with no ScamWise or Telegram variables set."""
    import os

    for name in list(os.environ):
        if name.startswith(("SCAMWISE_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    """The real, validated knowledge base."""
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def real_encoder(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real model exported to ONNX, once per session."""
    from bot.search.embedder import DEFAULT_MODEL
    from bot.search.encoders import prepare_encoder

    encoder = prepare_encoder(tmp_path_factory.mktemp("encoder"), DEFAULT_MODEL)
    assert encoder is not None
    return encoder


@pytest.fixture(scope="session")
def real_embedder(real_encoder):  # type: ignore[no-untyped-def]
    """The real local model through its ONNX encoder, loaded once per session."""
    from bot.search.embedder import DEFAULT_MODEL, shared_embedder

    embedder = shared_embedder(DEFAULT_MODEL, real_encoder.path)
    embedder.load()
    return embedder


@pytest.fixture(scope="session")
def real_index_dir(  # type: ignore[no-untyped-def]
    tmp_path_factory: pytest.TempPathFactory, kb, real_embedder, real_encoder, real_check
) -> Path:
    """The real knowledge base embedded with the real models (MiniLM, its int8 copy for the
    message checker, and multilingual-e5-small on ONNX Runtime for Chinese questions, as the
    bot runs them), built once per session."""
    from bot.search.embedder import DEFAULT_MODEL, DEFAULT_ZH_MODEL, shared_embedder
    from bot.search.encoders import prepare_segmenter, prepare_zh_encoder
    from bot.search.indexing import build_index

    out = tmp_path_factory.mktemp("index")
    graph = prepare_zh_encoder(out, DEFAULT_ZH_MODEL)  # e5's int8 graph, in the index folder
    assert graph is not None
    zh = (DEFAULT_ZH_MODEL, shared_embedder(DEFAULT_ZH_MODEL, graph.path, 2))
    build_index(
        kb, real_embedder, out, DEFAULT_MODEL, encoder=real_encoder, zh=zh, check=real_check,
        zh_encoder=graph, segmenter=prepare_segmenter(out),
    )  # fmt: skip
    return out


@pytest.fixture(scope="session")
def real_check(real_encoder):  # type: ignore[no-untyped-def]
    """The message checker's int8 copy of the real encoder and its embedder, as built."""
    from bot.search.embedder import DEFAULT_MODEL, shared_embedder
    from bot.search.encoders import prepare_check_encoder

    check_file = prepare_check_encoder(real_encoder)
    return check_file, shared_embedder(DEFAULT_MODEL, check_file.path, 2)


@pytest.fixture(scope="session")
def real_retriever(kb, real_index_dir, real_embedder):  # type: ignore[no-untyped-def]
    """A hybrid retriever over the real knowledge base and models (Chinese questions on their
    own encoder, as the bot runs them)."""
    from bot.search.embedder import shared_embedder
    from bot.search.index import load_index, load_zh_vectors, zh_encoder_path
    from bot.search.retriever import DenseRoute, Retriever

    index, meta = load_index(real_index_dir)
    zh_vectors = load_zh_vectors(real_index_dir, meta)
    assert zh_vectors is not None
    graph = zh_encoder_path(real_index_dir, meta)
    zh = DenseRoute(zh_vectors, shared_embedder(meta.zh_model, graph, 1))
    return Retriever(kb, index, real_embedder, zh=zh)


@pytest.fixture(scope="session")
def fake_index_dir(tmp_path_factory: pytest.TempPathFactory, kb: KnowledgeBase) -> Path:
    """The real knowledge base indexed with the hash embedder (fast; no model needed)."""
    from bot.search.embedder import DEFAULT_MODEL
    from bot.search.indexing import build_index

    out = tmp_path_factory.mktemp("fake-index")
    build_index(kb, FakeEmbedder(), out, DEFAULT_MODEL)
    return out


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole run, started on first use."""
    bindir = find_bindir()
    if bindir is None:
        reason = "PostgreSQL binaries not found: install Debian's postgresql package"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI must test PostgreSQL, never skip it quietly
        pytest.skip(reason)
    server = PostgresServer.start(bindir)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, then a new database on the real server."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'db' / 'scamwise.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"test_{uuid.uuid4().hex[:16]}")
