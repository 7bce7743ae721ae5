"""How much a message *reads* like a scam: a linear model over its words and character n-grams
(TF-IDF, then logistic regression), fitted by `scripts/fit_checker.py` on the dev messages and
stored as data (`textmodel.json` next to this module).

Red-flag patterns catch what a scam asks for; this model catches how scams are written (the
recruiter's greeting, the platform's "task", 客服's 您好亲) and how ordinary messages are
written (a one-time code's "do not share", a teacher's notice), in English and Chinese alike:
character n-grams need no word segmentation, and Traditional is read as Simplified.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from bot.errors import ScamWiseError
from bot.search.textterms import CHAR_NGRAMS, read_terms, terms, weighted

TEXT_MODEL_FILE = Path(__file__).with_name("textmodel.json")


@dataclass(frozen=True)
class TypeWeights:
    """One scam type's weights in the type model (the largest only; the rest read 0)."""

    bias: float
    coef: dict[str, float]


@dataclass(frozen=True)
class TextModel:
    """The fitted models: idf and scam weight per term, a bias, and per scam type (entry id)
    the weights of a multinomial model of which type a scam message is."""

    idf: dict[str, float]
    coef: dict[str, float]
    bias: float
    types: dict[str, TypeWeights] = field(default_factory=dict)

    def logit(self, text: str) -> float:
        """The model's log-odds that `text` is a scam (0.0 for a text with no known term)."""
        return self.read(text)[0]

    def read(self, text: str) -> tuple[float, dict[str, float]]:
        """The scam log-odds and each type's probability (empty without a type model)."""
        vector = weighted(terms(text), self.idf)
        if not vector:
            return 0.0, {}
        logit = self.bias + sum(v * self.coef.get(t, 0.0) for t, v in vector.items())
        return logit, self.type_probabilities(vector)

    def type_probabilities(self, vector: dict[str, float]) -> dict[str, float]:
        """Softmax over the types of a weighted term vector."""
        if not self.types:
            return {}
        z = {entry_id: w.bias for entry_id, w in self.types.items()}
        postings = self._postings
        for term, value in vector.items():
            for entry_id, weight in postings.get(term, ()):
                z[entry_id] += value * weight
        top = max(z.values())
        exp = {entry_id: math.exp(v - top) for entry_id, v in z.items()}
        total = sum(exp.values())
        return {entry_id: v / total for entry_id, v in exp.items()}

    @cached_property
    def _postings(self) -> dict[str, list[tuple[str, float]]]:
        """term -> the (type, weight) pairs that read it: a message touches only its terms."""
        out: dict[str, list[tuple[str, float]]] = {}
        for entry_id, w in self.types.items():
            for term, weight in w.coef.items():
                out.setdefault(term, []).append((entry_id, weight))
        return out

    def to_json(self) -> dict[str, object]:
        """The stored form: one [idf, weight] pair per term, sorted for stable diffs."""
        return {
            "char_ngrams": list(CHAR_NGRAMS),
            "bias": self.bias,
            "terms": {t: [self.idf[t], self.coef.get(t, 0.0)] for t in sorted(self.idf)},
            "types": {
                entry_id: {"bias": w.bias, "terms": dict(sorted(w.coef.items()))}
                for entry_id, w in sorted(self.types.items())
            },
        }


@lru_cache(maxsize=4)
def load_text_model(path: Path = TEXT_MODEL_FILE) -> TextModel:
    """Read the fitted model (once per file); a missing or malformed file is an error naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        idf, coef = read_terms(data)
        types = {
            str(entry_id): TypeWeights(
                float(w["bias"]), {str(t): float(v) for t, v in w["terms"].items()}
            )
            for entry_id, w in data.get("types", {}).items()
        }
        return TextModel(idf, coef, float(data["bias"]), types)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ScamWiseError(f"cannot read the checker's text model {path}: {exc}") from exc
