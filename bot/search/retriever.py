"""Hybrid retrieval: dense vectors (best matching question or title) fused with BM25."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.knowledge.models import KnowledgeBase
from bot.search.config import RetrievalConfig
from bot.search.definitions import definition_term, is_term
from bot.search.embedder import Embedder
from bot.search.index import VectorIndex
from bot.search.indexing import index_rows
from bot.search.lexical import LexicalScorer
from bot.search.query import MAX_QUERY_CHARS, clean_query
from bot.search.results import Hit, SearchResult, Status


class Retriever:
    """Finds the entry that answers a message, or declines. Thread-safe for reads."""

    def __init__(
        self,
        kb: KnowledgeBase,
        index: VectorIndex,
        embedder: Embedder,
        config: RetrievalConfig | None = None,
    ) -> None:
        self.kb = kb
        self.index = index
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self._ids = [e.id for e in kb.entries]
        position = {entry_id: i for i, entry_id in enumerate(self._ids)}
        missing = sorted({p for p in index.payloads if p not in position})
        if missing:
            raise ValueError(f"index payloads name entries not in the knowledge base: {missing}")
        self._row_entry = np.array([position[p] for p in index.payloads], dtype=np.int64)
        # Which vectors are tags; the index was built from this knowledge (content hash).
        tags = [is_tag for _, _, is_tag in index_rows(kb)]
        self._tag_rows = np.array(tags if len(tags) == len(index.payloads) else [], dtype=bool)
        self._lexical = LexicalScorer(kb.entries)

    def search(self, text: str, k: int = 3) -> SearchResult:
        """Rank entries for one message and decide: answer, ambiguous, declined or empty."""
        return self.search_many([text], k=k)[0]

    def search_many(self, texts: Sequence[str], k: int = 3) -> list[SearchResult]:
        """Search several messages with one call to the embedder."""
        cleaned = [clean_query(t) for t in texts]
        # "what is X" is searched as X (the result still shows the question as typed).
        searched = {q: definition_term(q) or q for q in cleaned if q is not None}
        todo = [searched[q] for q in cleaned if q is not None]
        vectors = self._embed(todo)
        results: list[SearchResult] = []
        row = 0
        for original, query in zip(texts, cleaned, strict=True):
            if query is None:
                # Keep what was sent, but never more of it than a searchable query.
                shown = str(original or "")[:MAX_QUERY_CHARS]
                results.append(SearchResult(shown, Status.EMPTY, ()))
                continue
            qvec = vectors[row] if vectors is not None else None
            row += 1
            hits = self._rank(searched[query], qvec, terms=is_term(query))[: max(k, 2)]
            results.append(self._decide(query, hits))
        return results

    def rank(self, query: str, vector: np.ndarray | None) -> list[Hit]:
        """Every entry ranked for a cleaned query whose vector the caller already has."""
        return self._rank(query, vector)

    def _embed(self, queries: list[str]) -> np.ndarray | None:
        if self.config.mode == "bm25" or not queries:
            return None
        return self.embedder.embed(queries)

    def _rank(self, query: str, qvec: np.ndarray | None, *, terms: bool = False) -> list[Hit]:
        n = len(self._ids)
        dense = self._dense_scores(qvec, terms) if qvec is not None else np.zeros(n, np.float32)
        raw = self._lexical.scores(query) if self.config.mode != "dense" else np.zeros(n)
        lexical = raw / (raw + self.config.bm25_scale)
        fused = self._fuse(dense, lexical)
        order = self._order(dense, lexical, fused)
        return [
            Hit(self._ids[i], round(float(fused[i]), 4), float(dense[i]), float(lexical[i]))
            for i in order
        ]

    def _dense_scores(self, qvec: np.ndarray, terms: bool = False) -> np.ndarray:
        """Per-entry score: max (or mean of the top k) similarity of its vectors to the query.

        Tag vectors count only for term-like queries (`terms`): a sentence is compared with
        titles and questions.
        """
        n = len(self._ids)
        sims, rows = self.index.search(qvec[None, :], self.config.candidate_vectors)
        sims, rows = sims[0], rows[0]
        valid = rows >= 0
        if not terms and len(self._tag_rows):
            valid &= ~self._tag_rows[np.where(valid, rows, 0)]
        sims, entries = sims[valid], self._row_entry[rows[valid]]
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

    def _fuse(self, dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        mode = self.config.mode
        if mode == "dense":
            return dense
        if mode == "bm25":
            return lexical.astype(np.float32)
        w = self.config.dense_weight
        return (w * dense + (1.0 - w) * lexical).astype(np.float32)

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

    def _decide(self, query: str, hits: list[Hit]) -> SearchResult:
        threshold = self.config.decline_threshold
        if not hits or hits[0].score < threshold:
            return SearchResult(query, Status.DECLINED, tuple(hits))
        close = (
            len(hits) > 1
            and hits[1].score >= threshold
            and hits[0].score - hits[1].score < self.config.ambiguity_margin
        )
        return SearchResult(query, Status.AMBIGUOUS if close else Status.ANSWER, tuple(hits))
