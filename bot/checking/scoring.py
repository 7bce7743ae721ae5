"""The checker's scoring model: a few weights, fitted by cross-validation on the dev messages
(`scripts/fit_checker.py`) and stored as data (`weights.json` next to this module).

The verdict is a logistic model over a handful of signals (rule flags, embedder flags, the
closest flag phrasing and scam example, protective wording); the scam types are ranked by a
weighted sum of closeness to its examples (message and pieces), the retriever's lexical score
and the flags' pointed-to entries.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.checking.result import FlagHit
from bot.errors import ScamWiseError

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
SEVERITY_WEIGHT = {"high": 2.0, "medium": 1.0, "low": 0.5}
FEATURES = (
    "rule_risk",  # summed severity of flags found by patterns, links, numbers, wallets
    "embedding_risk",  # summed severity of flags found only by the embedder
    "flag_similarity",  # the closest any piece comes to any flag's phrasing
    "example_similarity",  # the closest the message comes to any scam example
    "protective",  # 1 when protective wording is present
    "protected_risk",  # all flags' risk when protective wording is present, else 0
    "example_words",  # the most words the message shares with any scam example (TF-IDF)
    "text_logit",  # how much the message reads like a scam, by the text model (textmodel.py)
)
# per entry, see checker
RANK_PARTS = ("example", "example_pieces", "lexical", "flag_vote", "example_words", "text_type")


def flag_risk(hits: tuple[FlagHit, ...], rules: bool) -> float:
    """Summed severity of the hits found by rules (`rules`) or by the embedder."""
    return sum(
        SEVERITY_WEIGHT.get(h.severity, 1.0) for h in hits if (h.by != "embedding") == rules
    )


def features(
    hits: tuple[FlagHit, ...],
    flag_sim: float,
    example_sim: float,
    protective: bool,
    example_words: float = 0.0,
    text_logit: float = 0.0,
) -> tuple[float, ...]:
    """The verdict model's inputs, in FEATURES order."""
    rule, embedded = flag_risk(hits, True), flag_risk(hits, False)
    cue = 1.0 if protective else 0.0
    return (rule, embedded, flag_sim, example_sim, cue, cue * (rule + embedded), example_words,
            text_logit)  # fmt: skip


@dataclass(frozen=True)
class ScoringWeights:
    """Fitted weights: verdict = sigmoid(bias + coef . features) against two thresholds."""

    bias: float
    coef: tuple[float, ...]
    warning: float  # probability for "some warning signs"
    scam: float  # ... and for "looks like a scam"
    rank: tuple[float, ...]  # weights of RANK_PARTS
    # the verdict model fitted without the embedder's signals, for checks made without a model
    patterns_only: ScoringWeights | None = None

    def probability(self, values: tuple[float, ...]) -> float:
        """How likely the message is a scam, by the model."""
        z = self.bias + sum(c * v for c, v in zip(self.coef, values, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_json(self) -> dict[str, object]:
        """The stored form (named weights, so the file reads on its own)."""
        data: dict[str, object] = {
            "bias": self.bias,
            "coef": dict(zip(FEATURES, self.coef, strict=True)),
            "warning": self.warning,
            "scam": self.scam,
            "rank": dict(zip(RANK_PARTS, self.rank, strict=True)),
        }
        if self.patterns_only is not None:
            alone = self.patterns_only.to_json()
            data["patterns_only"] = {k: alone[k] for k in ("bias", "coef", "warning", "scam")}
        return data


def load_weights(path: Path = WEIGHTS_FILE) -> ScoringWeights:
    """Read the fitted weights; a missing or malformed file is an error naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rank = tuple(float(data["rank"][name]) for name in RANK_PARTS)
        alone = data.get("patterns_only")
        return replace(
            _verdict_model(data, rank),
            patterns_only=_verdict_model(alone, rank) if alone is not None else None,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ScamWiseError(f"cannot read the checker's weights {path}: {exc}") from exc


def _verdict_model(data: dict[str, Any], rank: tuple[float, ...]) -> ScoringWeights:
    return ScoringWeights(
        float(data["bias"]),
        tuple(float(data["coef"][name]) for name in FEATURES),
        float(data["warning"]),
        float(data["scam"]),
        rank,
    )
