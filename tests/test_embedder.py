"""The sentence-transformers embedder loads and runs its model on one thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from bot.errors import ScamWiseError
from bot.search.embedder import SentenceTransformerEmbedder


class RecordingModel:
    """Stands in for the BERT encoder and notes which thread each call ran on."""

    dim = 4

    def __init__(self) -> None:
        self.threads: list[int] = [threading.get_ident()]  # the thread that loaded it

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.threads.append(threading.get_ident())
        vectors = np.ones((len(texts), self.dim), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class RecordingEmbedder(SentenceTransformerEmbedder):
    def _load(self) -> Any:
        return RecordingModel()


def test_the_model_runs_on_one_thread_whoever_calls() -> None:
    embedder = RecordingEmbedder("recording")
    embedder.embed(["from the main thread"])
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda i: embedder.embed([f"from a pool thread {i}"]), range(6)))
    threads = embedder._model.threads
    assert len(threads) == 8  # load + 7 encodes
    assert set(threads) == {threads[0]}
    assert threads[0] != threading.get_ident()


def test_work_already_on_the_model_thread_runs_directly() -> None:
    embedder = RecordingEmbedder("recording")
    # A nested call from the model thread must not wait on itself (a deadlock).
    vectors = embedder.on_model_thread(embedder.embed, ["nested"])
    assert vectors.shape == (1, 4)
    assert embedder._model.threads[1] == embedder._model.threads[0]


def test_load_errors_reach_the_caller() -> None:
    class Broken(SentenceTransformerEmbedder):
        def _load(self) -> Any:
            raise ScamWiseError("cannot load embedding model 'broken'")

    with pytest.raises(ScamWiseError, match="broken"):
        Broken("broken").embed(["anything"])
