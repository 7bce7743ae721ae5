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
    """TF-IDF vectors of every entry's examples, compared with a message by cosine."""

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
        self._vocab = {term: i for i, term in enumerate(self._idf)}
        matrix = np.zeros((len(docs), len(self._vocab)), dtype=np.float32)
        for row, doc in enumerate(docs):
            for term, count in doc.items():
                matrix[row, self._vocab[term]] = (1.0 + math.log(count)) * self._idf[term]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = matrix / np.maximum(norms, 1e-9)
        groups: dict[str, list[int]] = {}
        for row, entry_id in enumerate(owners):
            groups.setdefault(entry_id, []).append(row)
        self._groups = {k: np.array(v) for k, v in groups.items()}

    def scores(self, text: str) -> dict[str, float]:
        """Entry id -> mean of the message's best cosine similarities to its examples."""
        if not self._groups:
            return {}
        vector = np.zeros(len(self._vocab), dtype=np.float32)
        for term, count in _terms(text).items():
            col = self._vocab.get(term)
            if col is not None:
                vector[col] = (1.0 + math.log(count)) * self._idf[term]
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            return {entry_id: 0.0 for entry_id in self._groups}
        sims = self._matrix @ (vector / norm)
        return {
            entry_id: float(np.sort(sims[rows])[::-1][:BEST_EXAMPLES].mean())
            for entry_id, rows in self._groups.items()
        }
