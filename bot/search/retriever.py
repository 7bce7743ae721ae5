"""Hybrid retrieval: dense vectors (best matching question or title) fused with BM25.

A question is searched in its own language (`bot.search.languages`): Traditional Chinese is
folded to Simplified, a question with Chinese characters meets the Chinese vectors and BM25
documents, any other the English ones. Chinese questions may be encoded by an encoder of their
own (`zh`: a multilingual model and the index's vectors made with it); English ones always use
the main encoder, which the message checker shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.knowledge.models import KnowledgeBase
from bot.search.config import RetrievalConfig
from bot.search.definitions import definition_term, is_term
from bot.search.embedder import Embedder
from bot.search.index import VectorIndex
from bot.search.indexing import index_rows
from bot.search.languages import (
    SEARCH_LANGUAGES,
    ChineseTokens,
    SearchLanguage,
    search_language,
    to_simplified,
)
from bot.search.lexical import LexicalScorer
from bot.search.query import MAX_QUERY_CHARS, clean_query
from bot.search.results import Hit, SearchResult, Status
from bot.search.scope import ScopeModel


@dataclass(frozen=True)
class DenseRoute:
    """Vectors of every index row made by one encoder, and that encoder."""

    index: VectorIndex
    embedder: Embedder


@dataclass(frozen=True)
class _Rows:
    """One language's share of an index: its own vectors and the entry of each."""

    index: VectorIndex
    entry: np.ndarray  # entry position per row
    tags: np.ndarray  # whether each row is a tag


class Retriever:
    """Finds the entry that answers a message, or declines. Thread-safe for reads."""

    def __init__(
        self,
        kb: KnowledgeBase,
        index: VectorIndex,
        embedder: Embedder,
        config: RetrievalConfig | None = None,
        zh: DenseRoute | None = None,
        scope: ScopeModel | None = None,
    ) -> None:
        self.kb = kb
        # Reads whether a question is one the knowledge base answers at all (bot/search/scope.py);
        # None: the score threshold alone decides.
        self.scope = scope
        self.index = index
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self._ids = [e.id for e in kb.entries]
        position = {entry_id: i for i, entry_id in enumerate(self._ids)}
        missing = sorted({p for p in index.payloads if p not in position})
        if missing:
            raise ValueError(f"index payloads name entries not in the knowledge base: {missing}")
        if zh is not None and zh.index.payloads != index.payloads:
            raise ValueError("the Chinese encoder's vectors do not match the index rows")
        self.zh = zh
        self._row_entry = np.array([position[p] for p in index.payloads], dtype=np.int64)
        # Which vectors are tags, and their language; the index was built from this knowledge
        # (content hash), so its rows are these.
        rows = index_rows(kb)
        if len(rows) != len(index.payloads) or any(
            r.entry_id != p for r, p in zip(rows, index.payloads, strict=True)
        ):
            rows = []
        self._tag_rows = np.array([r.is_tag for r in rows], dtype=bool)
        self._row_lang = np.array([r.language for r in rows], dtype=object)
        # Languages whose questions have an encoder of their own (else `self.embedder`).
        self._routes: dict[SearchLanguage, DenseRoute] = {"zh": zh} if zh is not None else {}
        self._rows: dict[tuple[SearchLanguage, bool], _Rows] = {}
        for lang in SEARCH_LANGUAGES:
            route_index = self._routes[lang].index if lang in self._routes else index
            for own_rows in (True, False):
                self._rows[(lang, own_rows)] = self._split(route_index, lang, own_rows)
        self._lexical = self.lexical_scorers(self.config)

    def set_config(self, config: RetrievalConfig) -> None:
        """Use another config, rebuilding BM25 when its Chinese segmentation differs."""
        if config.chinese_tokens != self.config.chinese_tokens:
            self._lexical = self.lexical_scorers(config)
        self.config = config

    def lexical_scorers(self, config: RetrievalConfig) -> dict[SearchLanguage, LexicalScorer]:
        """BM25 per language: the Chinese documents segmented as the config says, the English
        ones with character bigrams for the few Chinese names they hold (as before Chinese
        documents existed, so English questions score as they did)."""
        chinese: dict[SearchLanguage, ChineseTokens] = {
            "en": "bigrams",
            "zh": config.chinese_tokens,
        }
        return {
            lang: LexicalScorer(self.kb.entries, lang, chinese[lang]) for lang in SEARCH_LANGUAGES
        }

    def _split(self, index: VectorIndex, lang: SearchLanguage, own_rows: bool) -> _Rows:
        """The rows a question in `lang` meets: with `own_rows`, those in its language, every
        tag, and the rows of entries that have none in its language; else all."""
        n = len(index.payloads)
        if not own_rows or len(self._row_lang) != n:
            return _Rows(index, self._row_entry, self._tag_rows)
        own = (self._row_lang == lang) & ~self._tag_rows
        covered = np.zeros(len(self._ids), dtype=bool)
        covered[self._row_entry[own]] = True
        keep = own | self._tag_rows | ~covered[self._row_entry]
        if keep.all():
            return _Rows(index, self._row_entry, self._tag_rows)
        picked = np.flatnonzero(keep)
        vectors = index.vectors()[picked]
        sub = VectorIndex(vectors, [index.payloads[i] for i in picked])
        return _Rows(sub, self._row_entry[picked], self._tag_rows[picked])

    def search(self, text: str, k: int = 3) -> SearchResult:
        """Rank entries for one message and decide: answer, ambiguous, declined or empty."""
        return self.search_many([text], k=k)[0]

    def search_many(self, texts: Sequence[str], k: int = 3) -> list[SearchResult]:
        """Search several messages with one call to each encoder they need."""
        cleaned = [clean_query(t) for t in texts]
        simplified = {q: to_simplified(q) for q in cleaned if q is not None}
        # "what is X" is searched as X (the result still shows the question as typed).
        searched = {q: definition_term(s) or s for q, s in simplified.items()}
        language = {q: search_language(s) for q, s in simplified.items()}
        vectors = self._embed(list(searched.values()), [language[q] for q in searched])
        results: list[SearchResult] = []
        for original, query in zip(texts, cleaned, strict=True):
            if query is None:
                # Keep what was sent, but never more of it than a searchable query.
                shown = str(original or "")[:MAX_QUERY_CHARS]
                results.append(SearchResult(shown, Status.EMPTY, ()))
                continue
            term = searched[query]
            lang = language[query]
            hits = self._rank(term, vectors.get(term), lang, terms=is_term(simplified[query]))
            results.append(self._decide(query, hits[: max(k, 2)], lang))
        return results

    def rank(self, query: str, vector: np.ndarray | None) -> list[Hit]:
        """Every entry ranked for a cleaned query whose vector (from `embedder`, the main
        encoder) the caller already has."""
        simplified = to_simplified(query)
        lang = search_language(simplified)
        rows = self._rows[(lang, self.config.dense_rows == "same")]
        if lang in self._routes:  # the vector is the main encoder's: meet the main vectors
            rows = self._rows[("en", False)]
        return self._rank(simplified, vector, lang, rows=rows)

    def score_parts(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray, str]]:
        """(dense scores, raw BM25 scores, language) per text, before fusion (zeros for a text
        with nothing to search): what `scripts/tune.py` re-weights without searching again."""
        n = len(self._ids)
        simplified = [to_simplified(q) if q else "" for q in (clean_query(t) for t in texts)]
        searched = [definition_term(s) or s for s in simplified]
        langs: list[SearchLanguage] = [search_language(s) for s in simplified]
        todo = [(t, lang) for t, lang in zip(searched, langs, strict=True) if t]
        vectors = self._embed([t for t, _ in todo], [lang for _, lang in todo])
        out: list[tuple[np.ndarray, np.ndarray, str]] = []
        for term, plain, lang in zip(searched, simplified, langs, strict=True):
            rows = self._rows[(lang, self.config.dense_rows == "same")]
            qvec = vectors.get(term) if term else None
            dense = np.zeros(n, np.float32)
            if qvec is not None:
                dense = self._dense_scores(qvec, rows, is_term(plain))
            raw = self._lexical_scores(term, lang) if term else np.zeros(n, np.float32)
            out.append((dense, raw, lang))
        return out

    def decide(self, query: str, hits: list[Hit], language: str) -> SearchResult:
        """The verdict for ranked hits of a query in `language` (see `score_parts`)."""
        return self._decide(query, hits, language)  # type: ignore[arg-type]

    def embedder_for(self, text: str) -> Embedder:
        """The encoder that encodes `text` when it is searched."""
        lang = search_language(to_simplified(text))
        return self._routes[lang].embedder if lang in self._routes else self.embedder

    def _embed(self, queries: list[str], langs: list[SearchLanguage]) -> dict[str, np.ndarray]:
        """Vectors of the queries, each encoded by its language's encoder (one call each)."""
        if self.config.mode == "bm25" or not queries:
            return {}
        out: dict[str, np.ndarray] = {}
        by_embedder: dict[int, tuple[Embedder, list[str]]] = {}
        for query, lang in zip(queries, langs, strict=True):
            embedder = self._routes[lang].embedder if lang in self._routes else self.embedder
            by_embedder.setdefault(id(embedder), (embedder, []))[1].append(query)
        for embedder, group in by_embedder.values():
            unique = list(dict.fromkeys(group))
            out.update(zip(unique, embedder.embed(unique), strict=True))
        return out

    def _rank(
        self,
        query: str,
        qvec: np.ndarray | None,
        lang: SearchLanguage,
        *,
        terms: bool = False,
        rows: _Rows | None = None,
    ) -> list[Hit]:
        n = len(self._ids)
        if rows is None:
            rows = self._rows[(lang, self.config.dense_rows == "same")]
        dense = (
            self._dense_scores(qvec, rows, terms) if qvec is not None else np.zeros(n, np.float32)
        )
        raw = self._lexical_scores(query, lang) if self.config.mode != "dense" else np.zeros(n)
        weight, scale = self.config.fusion_for(lang)
        lexical = raw / (raw + scale)
        fused = self._fuse(dense, lexical, weight)
        order = self._order(dense, lexical, fused)
        return [
            Hit(self._ids[i], round(float(fused[i]), 4), float(dense[i]), float(lexical[i]))
            for i in order
        ]

    def _lexical_scores(self, query: str, lang: SearchLanguage) -> np.ndarray:
        """BM25 of every entry in the query's language, or the better of both languages."""
        own = self._lexical[lang].scores(query)
        if self.config.lexical_languages == "route":
            return own
        others = [s.scores(query) for other, s in self._lexical.items() if other != lang]
        return np.maximum.reduce([own, *others])

    def _dense_scores(self, qvec: np.ndarray, rows: _Rows, terms: bool = False) -> np.ndarray:
        """Per-entry score: max (or mean of the top k) similarity of its vectors to the query.

        Tag vectors count only for term-like queries (`terms`): a sentence is compared with
        titles and questions.
        """
        n = len(self._ids)
        sims, found = rows.index.search(qvec[None, :], self.config.candidate_vectors)
        sims, found = sims[0], found[0]
        valid = found >= 0
        if not terms and len(rows.tags):
            valid &= ~rows.tags[np.where(valid, found, 0)]
        sims, entries = sims[valid], rows.entry[found[valid]]
        floor = float(sims.min()) if len(sims) else 0.0
        scores = np.full(n, floor, dtype=np.float32)
        if self.config.aggregate == "max":
            np.maximum.at(scores, entries, sims)
            return scores
        k = self.config.top_k_vectors
        per_entry: dict[int, list[float]] = {}
        for entry, sim in zip(entries.tolist(), sims.tolist(), strict=True):
            per_entry.setdefault(entry, []).append(sim)
        for entry, values in per_entry.items():
            top = sorted(values, reverse=True)[:k]
            scores[entry] = (sum(top) + floor * (k - len(top))) / k
        return scores

    def _fuse(self, dense: np.ndarray, lexical: np.ndarray, weight: float) -> np.ndarray:
        mode = self.config.mode
        if mode == "dense":
            return dense
        if mode == "bm25":
            return lexical.astype(np.float32)
        return (weight * dense + (1.0 - weight) * lexical).astype(np.float32)

    def _order(self, dense: np.ndarray, lexical: np.ndarray, fused: np.ndarray) -> list[int]:
        """Entry positions best first: by fused score, or by reciprocal-rank fusion."""
        if self.config.mode != "hybrid" or self.config.fusion == "weighted":
            return np.argsort(-fused, kind="stable").tolist()
        k = self.config.rrf_k
        rrf = np.zeros(len(dense))
        for scores in (dense, lexical):
            ranks = np.empty(len(scores), dtype=np.int64)
            ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
            rrf += 1.0 / (k + ranks)
        return np.argsort(-rrf, kind="stable").tolist()

    def _decide(self, query: str, hits: list[Hit], lang: SearchLanguage) -> SearchResult:
        threshold = self.config.threshold_for(lang)
        if not hits or hits[0].score < threshold:
            return SearchResult(query, Status.DECLINED, tuple(hits))
        # The scope model was fitted on hybrid scores: other modes decline by threshold alone.
        scope = self.scope if self.config.mode == "hybrid" else None
        if scope is not None and not scope.answers(query, hits[0].score - threshold, lang):
            return SearchResult(query, Status.DECLINED, tuple(hits))
        close = (
            len(hits) > 1
            and hits[1].score >= threshold
            and hits[0].score - hits[1].score < self.config.ambiguity_margin
        )
        return SearchResult(query, Status.AMBIGUOUS if close else Status.ANSWER, tuple(hits))
