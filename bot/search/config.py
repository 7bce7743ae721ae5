"""Retrieval parameters. Defaults come from tuning on tests/data/dev_questions.yaml (English)
and tests/data/dev_questions_zh.yaml (Chinese)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from bot.search.languages import ChineseTokens, SearchLanguage

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")

# Decline thresholds per mode, calibrated with `scripts/evaluate.py --calibrate`.
# The hybrid one is what the bot uses; SCAMWISE_DECLINE_THRESHOLD overrides it. Adding entries
# raises BM25 scores a little (rarer terms), so recalibrate after any large knowledge change.
DEFAULT_THRESHOLDS: dict[str, float] = {"hybrid": 0.39, "dense": 0.42, "bm25": 0.44}
# The same for questions in Chinese, calibrated on the Chinese dev set: their scores come from
# other vectors (multilingual-e5-small's cosines sit between about 0.7 and 1) and other BM25
# documents. Chosen with `scripts/tune.py tests/data/dev_questions_zh.yaml --grid zh`.
DEFAULT_THRESHOLDS_ZH: dict[str, float] = {"hybrid": 0.87, "dense": 0.9, "bm25": 0.83}
_LANGUAGE_THRESHOLDS: dict[str, dict[str, float]] = {"zh": DEFAULT_THRESHOLDS_ZH}


@dataclass(frozen=True)
class LanguageTuning:
    """Fusion settings for the questions of one language; None keeps the English value."""

    dense_weight: float | None = None
    bm25_scale: float | None = None
    threshold: float | None = None  # None: the language's default for the mode


def _default_tuning() -> dict[str, LanguageTuning]:
    # Chinese questions (e5's compressed cosines): dense 0.9, BM25 s/(s+8), the top row of the
    # zh grid once every entry had its 21-24 Chinese questions.
    return {"zh": LanguageTuning(dense_weight=0.9, bm25_scale=8.0)}


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
    # Which vectors a question meets: those of its own language (and every tag, and the
    # English ones of entries with no translation yet), or all of them.
    dense_rows: Literal["same", "all"] = "same"
    # BM25 over the documents of the question's language, or the better of both languages.
    lexical_languages: Literal["route", "max"] = "route"
    # jieba words plus character bigrams beat jieba alone on the Chinese dev set (typos and
    # words jieba splits differently in a question and in an entry still meet).
    chinese_tokens: ChineseTokens = "both"
    # Per-language fusion settings and thresholds for questions not in English.
    languages: dict[str, LanguageTuning] = field(default_factory=_default_tuning)

    @property
    def decline_threshold(self) -> float:
        """The threshold in force for this mode (English questions)."""
        return DEFAULT_THRESHOLDS[self.mode] if self.threshold is None else self.threshold

    def _tuning(self, language: SearchLanguage) -> LanguageTuning:
        return self.languages.get(language, LanguageTuning())

    def threshold_for(self, language: SearchLanguage) -> float:
        """The decline threshold for questions in `language`."""
        own = self._tuning(language).threshold
        if own is not None:
            return own
        defaults = _LANGUAGE_THRESHOLDS.get(language)
        return defaults[self.mode] if defaults is not None else self.decline_threshold

    def fusion_for(self, language: SearchLanguage) -> tuple[float, float]:
        """(dense_weight, bm25_scale) for questions in `language`."""
        tuning = self._tuning(language)
        weight, scale = tuning.dense_weight, tuning.bm25_scale
        return (
            self.dense_weight if weight is None else weight,
            self.bm25_scale if scale is None else scale,
        )

    def with_language(self, language: str, **changes: float | None) -> RetrievalConfig:
        """The same config with some of one language's settings changed."""
        tuning = replace(self._tuning(language), **changes)  # type: ignore[arg-type]
        return replace(self, languages={**self.languages, language: tuning})

    def with_mode(self, mode: Mode) -> RetrievalConfig:
        """The same config in another mode, with that mode's default thresholds."""
        if mode == self.mode:
            return self
        languages = {k: replace(v, threshold=None) for k, v in self.languages.items()}
        return replace(self, mode=mode, threshold=None, languages=languages)
