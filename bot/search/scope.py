"""Whether the knowledge base answers a question at all: the decline decision's second reader.

A question such as "淘宝买的衣服质量太差 怎么退货" scores close to the fake-customer-service
entry (the same words), but asks how to use a real service, which no entry answers. The score
threshold alone cannot tell the two apart; how the question is written can. This model reads
the question's words and character n-grams (a linear text model, `bot.search.textterms`) and
combines its log-odds with how far the best score clears the language's threshold:

    p(in scope) = sigmoid(bias + margin_weight * (score - threshold) + text_weight * logit)

and a question is declined when p is under its language's cut. Fitted by `scripts/fit_scope.py`
on the knowledge base's own questions and the dev question sets; stored as `scope.json`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.errors import ScamWiseError
from bot.search.textterms import CHAR_NGRAMS, read_terms, terms, weighted

SCOPE_FILE = Path(__file__).with_name("scope.json")


@dataclass(frozen=True)
class ScopeModel:
    """The fitted text model and the combination weights and cuts."""

    idf: dict[str, float]
    coef: dict[str, float]
    text_bias: float
    bias: float
    margin_weight: float
    text_weight: float
    cuts: dict[str, float]  # language -> least p(in scope) that is answered

    def logit(self, question: str) -> float:
        """The text model's log-odds that the question is one the knowledge base answers."""
        vector = weighted(terms(question), self.idf)
        if not vector:
            return 0.0
        return self.text_bias + sum(v * self.coef.get(t, 0.0) for t, v in vector.items())

    def probability(self, margin: float, logit: float) -> float:
        """p(in scope) from the score's margin over the threshold and the text's log-odds."""
        z = self.bias + self.margin_weight * margin + self.text_weight * logit
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def answers(self, question: str, margin: float, language: str) -> bool:
        """Whether a question whose best score clears the threshold by `margin` is answered."""
        cut = self.cuts.get(language, self.cuts.get("en", 0.0))
        return self.probability(margin, self.logit(question)) >= cut

    def to_json(self) -> dict[str, object]:
        """The stored form (terms sorted, so that refits give readable diffs)."""
        return {
            "char_ngrams": list(CHAR_NGRAMS),
            "text_bias": self.text_bias,
            "bias": self.bias,
            "margin_weight": self.margin_weight,
            "text_weight": self.text_weight,
            "cuts": dict(sorted(self.cuts.items())),
            "terms": {t: [self.idf[t], self.coef.get(t, 0.0)] for t in sorted(self.idf)},
        }


@lru_cache(maxsize=4)
def load_scope(path: Path = SCOPE_FILE) -> ScopeModel:
    """Read the fitted model (once per file); a missing or malformed file names the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        idf, coef = read_terms(data)
        return ScopeModel(
            idf,
            coef,
            float(data["text_bias"]),
            float(data["bias"]),
            float(data["margin_weight"]),
            float(data["text_weight"]),
            {str(k): float(v) for k, v in data["cuts"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ScamWiseError(f"cannot read the scope model {path}: {exc}") from exc
