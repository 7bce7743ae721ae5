"""Word overlap of a message with the entries' `examples:` (TF-IDF over stemmed words and
Chinese character bigrams, Traditional read as Simplified). The English embedding model
places Chinese messages poorly; shared wording ("解冻费", "按金", "理赔") places them well."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.checking.normalise import simplified
from bot.knowledge.models import Entry
from bot.search.lexical import tokenize

BEST_EXAMPLES = 2  # an entry's score: the mean of its examples' best few similarities


def _terms(text: str) -> Counter[str]:
    return Counter(tokenize(simplified(text)))


class ExampleLexicon:
    """TF-IDF vectors of every entry's examples, compared with a message by cosine (sparse:
    a message touches only the postings of its own terms)."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        docs: list[Counter[str]] = []
        owners: list[str] = []
        for entry in entries:
            for example in entry.examples:
                docs.append(_terms(example))
                owners.append(entry.id)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        n = max(len(docs), 1)
        self._idf = {term: math.log((1 + n) / (1 + count)) + 1.0 for term, count in df.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for row, doc in enumerate(docs):
            weights = {t: (1.0 + math.log(c)) * self._idf[t] for t, c in doc.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for term, weight in weights.items():
                rows, values = postings.setdefault(term, ([], []))
                rows.append(row)
                values.append(weight / norm)
        self._postings = {
            t: (np.array(r, dtype=np.int64), np.array(v, dtype=np.float32))
            for t, (r, v) in postings.items()
        }
        self._rows = len(docs)
        self._ids = sorted(set(owners), key=owners.index)
        # (entries, most examples) row numbers, padded with an extra always-zero row
        groups = [[r for r, o in enumerate(owners) if o == entry_id] for entry_id in self._ids]
        width = max((len(g) for g in groups), default=1)
        self._groups = np.full((len(groups), width), self._rows, dtype=np.int64)
        for i, rows_of in enumerate(groups):
            self._groups[i, : len(rows_of)] = rows_of
        self._sizes = np.array([min(len(g), BEST_EXAMPLES) for g in groups], dtype=np.float32)

    def scores(self, text: str) -> dict[str, float]:
        """Entry id -> mean of the message's best cosine similarities to its examples."""
        if not self._ids:
            return {}
        sims = np.zeros(self._rows + 1, dtype=np.float32)
        idf = self._idf
        weights = {t: (1.0 + math.log(c)) * idf[t] for t, c in _terms(text).items() if t in idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if norm == 0.0:
            return dict.fromkeys(self._ids, 0.0)
        for term, weight in weights.items():
            rows, values = self._postings[term]
            sims[rows] += values * (weight / norm)
        grouped = sims[self._groups]  # padding reads the zero row
        k = min(BEST_EXAMPLES, grouped.shape[1])
        best = -np.partition(-grouped, k - 1, axis=1)[:, :k].sum(axis=1) / self._sizes
        return dict(zip(self._ids, best.tolist(), strict=True))
