"""Retrieval parameters. Defaults come from tuning on tests/data/dev_questions.yaml."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")

# Decline thresholds per mode, calibrated with `scripts/evaluate.py --calibrate`.
# The hybrid one is what the bot uses; SCAMWISE_DECLINE_THRESHOLD overrides it. Adding entries
# raises BM25 scores a little (rarer terms), so recalibrate after any large knowledge change.
DEFAULT_THRESHOLDS: dict[str, float] = {"hybrid": 0.39, "dense": 0.42, "bm25": 0.44}


@dataclass(frozen=True)
class RetrievalConfig:
    """How entries are scored, fused and declined."""

    mode: Mode = "hybrid"
    # Chosen with scripts/tune.py (see README): mean of an entry's two best vectors beat the
    # single best one, and a weighted sum of normalised scores beat reciprocal-rank fusion.
    aggregate: Literal["max", "mean-top-k"] = "mean-top-k"
    top_k_vectors: int = 2  # used by mean-top-k
    fusion: Literal["weighted", "rrf"] = "weighted"
    dense_weight: float = 0.6  # weighted fusion: share of the dense score
    bm25_scale: float = 4.0  # BM25 score s becomes s / (s + bm25_scale), in [0, 1)
    rrf_k: int = 60
    threshold: float | None = None  # None: DEFAULT_THRESHOLDS[mode]
    ambiguity_margin: float = 0.03  # top two closer than this: ask "did you mean"
    candidate_vectors: int = 512  # nearest vectors fetched from FAISS per query

    @property
    def decline_threshold(self) -> float:
        """The threshold in force for this mode."""
        return DEFAULT_THRESHOLDS[self.mode] if self.threshold is None else self.threshold

    def with_mode(self, mode: Mode) -> RetrievalConfig:
        """The same config in another mode, with that mode's default threshold."""
        return replace(self, mode=mode, threshold=None if mode != self.mode else self.threshold)
