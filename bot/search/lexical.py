"""BM25 scoring of whole entries with bm25s: one document per entry and language.

English text is lowercased, stemmed and stripped of stopwords. Chinese text is segmented
into words by jieba (its bundled dictionary, plus the knowledge base's own Chinese tags such
as 刷单返利 or 杀猪盘, so a scam's name stays one word); `chinese="bigrams"` gives the
character bigrams used before jieba, `"both"` both. Each entry has an English document
(title, questions, answer, tags) and a Chinese one (its `zh:` title, questions, answer and the
tags; the English document for an entry not translated yet).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from bm25s.stopwords import STOPWORDS_EN

from bot.knowledge.models import Entry
from bot.search.languages import ChineseTokens, SearchLanguage, to_simplified
from bot.search.segmenter import loaded_tokenizer

# bm25s sets its own logger to DEBUG when imported, so its "Building index" lines appeared at
# every start whatever SCAMWISE_LOG_LEVEL said: let it follow the root logger's level instead.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

_LATIN = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_STOP = frozenset(STOPWORDS_EN) | {"s", "t", "im", "u", "ur", "pls", "plz"}
# Particles and pronouns that say nothing about the subject (jieba keeps them as words).
_STOP_ZH = frozenset(
    """的 了 是 吗 嘛 吧 啊 呀 呢 哦 噢 嗯 么 啥 我 你 他 她 它 我们 你们 他们 这 那 这个 那个
    就 都 也 还 在 和 与 跟 有 没 不 要 会 能 说 给 让 被 把 个 一个 怎么 什么 怎么办 为什么
    真的 是不是 一下 一直 现在 然后 但是 可以 自己 还是 就是 咋 咩 嘅 系 唔""".split()  # noqa: SIM905
)
_JIEBA_LOCK = threading.Lock()
_LOAD_LOCK = threading.Lock()
_SEGMENTER: Any = None  # jieba's tokenizer, once loaded (`load_segmenter`)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def load_segmenter(prefix_dict: Path | None = None) -> Any:
    """jieba's segmenter with its dictionary loaded, once per process, without its log lines.

    `prefix_dict` is the index's copy of jieba's dictionary (`bot.search.segmenter`), read
    faster than jieba reads its own; the first call loads, later ones return the same one.
    """
    global _SEGMENTER
    if _SEGMENTER is not None:  # every Chinese tokenization asks: no lock once loaded
        return _SEGMENTER
    with _LOAD_LOCK:
        if _SEGMENTER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # it prints "Building prefix dict..." at INFO
            _SEGMENTER = loaded_tokenizer(prefix_dict)
        return _SEGMENTER


def _jieba() -> Any:
    return load_segmenter()


def add_terms(terms: Iterable[str]) -> None:
    """Make each Chinese term (a scam's name from the tags) one word for jieba."""
    tokenizer = _jieba()
    with _JIEBA_LOCK:
        for term in terms:
            term = to_simplified(term.strip())
            if _CJK.fullmatch(term) and len(term) > 1:
                tokenizer.add_word(term, freq=None)


def _chinese(run: str, mode: ChineseTokens) -> list[str]:
    tokens: list[str] = []
    if mode in ("jieba", "both"):
        with _JIEBA_LOCK:  # add_word may run on a reload thread meanwhile
            words = _jieba().lcut_for_search(run)
        tokens += [w for w in words if w not in _STOP_ZH]
    if mode in ("bigrams", "both"):
        tokens += [run[i : i + 2] for i in range(max(1, len(run) - 1))]
    return tokens


def tokenize(text: str, chinese: ChineseTokens = "jieba") -> list[str]:
    """Lowercase stemmed words without stopwords, plus the words of Chinese runs.

    Traditional characters are folded to Simplified first.
    """
    lowered = to_simplified(text.lower())
    tokens: list[str] = []
    for run in _CJK.findall(lowered):
        tokens.extend(_chinese(run, chinese))
    words = [w for w in _LATIN.findall(_CJK.sub(" ", lowered)) if w not in _STOP]
    tokens.extend(_stemmer().stemWords(words))
    return tokens


def entry_document(entry: Entry, language: SearchLanguage = "en") -> str:
    """The text BM25 indexes for one entry in one language."""
    if language == "zh" and entry.zh is not None:
        zh = entry.zh
        return " ".join([zh.title, *zh.questions, zh.answer, *entry.tags])
    return " ".join([entry.title, *entry.questions, entry.answer, *entry.tags])


class LexicalScorer:
    """BM25 over one document per entry, in one language."""

    def __init__(
        self,
        entries: Sequence[Entry],
        language: SearchLanguage = "en",
        chinese: ChineseTokens = "jieba",
    ) -> None:
        self.ids = [e.id for e in entries]
        self.language = language
        self.chinese = chinese
        add_terms(tag for e in entries for tag in e.tags)
        self._bm25 = bm25s.BM25()
        docs = [tokenize(entry_document(e, language), chinese) for e in entries]
        self._bm25.index(docs, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every entry (in entry order) for one query; zeros when no term matches."""
        tokens = tokenize(query, self.chinese)
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
