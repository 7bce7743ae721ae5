"""BM25 scoring of whole entries (title, questions, answer, tags) with bm25s."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from bot.knowledge.models import Entry

# bm25s sets its own logger to DEBUG when imported, so its "Building index" lines appeared at
# every start whatever SCAMWISE_LOG_LEVEL said: let it follow the root logger's level instead.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

_LATIN = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_STOP = frozenset(STOPWORDS_EN) | {"s", "t", "im", "u", "ur", "pls", "plz"}


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lowercase stemmed words without stopwords, plus character bigrams of Chinese runs."""
    lowered = text.lower()
    tokens: list[str] = []
    for run in _CJK.findall(lowered):
        tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    words = [w for w in _LATIN.findall(_CJK.sub(" ", lowered)) if w not in _STOP]
    tokens.extend(_stemmer().stemWords(words))
    return tokens


def entry_document(entry: Entry) -> str:
    """The text BM25 indexes for one entry."""
    return " ".join([entry.title, *entry.questions, entry.answer, *entry.tags])


class LexicalScorer:
    """BM25 over one document per entry."""

    def __init__(self, entries: tuple[Entry, ...] | list[Entry]) -> None:
        self.ids = [e.id for e in entries]
        self._bm25 = bm25s.BM25()
        self._bm25.index([tokenize(entry_document(e)) for e in entries], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every entry (in entry order) for one query; zeros when no term matches."""
        tokens = tokenize(query)
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
