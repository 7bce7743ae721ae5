"""The embedder's side of a check: a message cut into pieces, compared with the red flags'
phrasings and the entries' `examples:` (vectors built into the index at build time)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.checking.result import Span
from bot.search.index import VectorIndex
from bot.search.indexing import ENTRY_PREFIX, FLAG_PREFIX

MAX_PIECES = 6  # sentences embedded per message (the longest ones when there are more)
MIN_PIECE_CHARS = 12
BEST_EXAMPLES = 2  # an entry's closeness: the mean of its examples' best few similarities
_SENTENCE = re.compile(r"[^\n.!?。！？；;]+[.!?。！？；;]*")


def pieces(text: str) -> list[Span]:
    """The sentences of a message (short ones merged into the next), at most MAX_PIECES."""
    spans: list[Span] = []
    start: int | None = None
    for match in _SENTENCE.finditer(text):
        if not match.group(0).strip():
            continue
        begin = match.start() if start is None else start
        if len(text[begin : match.end()].strip()) < MIN_PIECE_CHARS:
            start = begin
            continue
        spans.append(_trimmed(text, begin, match.end()))
        start = None
    if start is not None:
        tail = _trimmed(text, start, len(text))
        if spans and len(tail.text) < MIN_PIECE_CHARS:
            last = spans.pop()
            spans.append(_trimmed(text, last.start, len(text)))
        elif tail.text:
            spans.append(tail)
    if len(spans) > MAX_PIECES:
        keep = sorted(
            sorted(spans, key=lambda s: -len(s.text))[:MAX_PIECES], key=lambda s: s.start
        )
        spans = keep
    return spans


def _trimmed(text: str, start: int, end: int) -> Span:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    body = chunk.strip()
    return Span(start + lead, start + lead + len(body), body)


@dataclass(frozen=True)
class SemanticHits:
    """Per flag: (best similarity, best piece); per entry: best similarity to its examples,
    and (mean of the message's two best similarities to them, the same for its pieces)."""

    flags: dict[str, tuple[float, Span]]
    entries: dict[str, float]
    closeness: dict[str, tuple[float, float]] = field(default_factory=dict)


class ExampleVectors:
    """The checker's vectors from the index, split into flag rows and entry-example rows."""

    def __init__(self, checks: VectorIndex | None) -> None:
        vectors = checks.vectors() if checks is not None and len(checks) else np.zeros((0, 1))
        payloads = checks.payloads if checks is not None else []
        self._flag_rows, self._flag_ids = _rows(vectors, payloads, FLAG_PREFIX)
        self._entry_rows, self._entry_ids = _rows(vectors, payloads, ENTRY_PREFIX)
        groups: dict[str, list[int]] = {}
        for row, entry_id in enumerate(self._entry_ids):
            groups.setdefault(entry_id, []).append(row)
        # (entries, most examples) row numbers, padded with an index past the last row, which
        # reads -inf: an entry's closeness is then one vectorised top-k over this matrix.
        self._group_ids = list(groups)
        width = max((len(v) for v in groups.values()), default=1)
        self._group_rows = np.full((len(groups), width), len(self._entry_ids), dtype=np.int64)
        for i, rows in enumerate(groups.values()):
            self._group_rows[i, : len(rows)] = rows
        self._group_sizes = np.array(
            [min(len(v), BEST_EXAMPLES) for v in groups.values()], dtype=np.float32
        )

    @property
    def has_examples(self) -> bool:
        """Whether the index holds entries' examples (it does once they are written)."""
        return len(self._entry_ids) > 0

    def score(self, whole: np.ndarray, parts: np.ndarray, spans: list[Span]) -> SemanticHits:
        """Similarities of the message (`whole`) and its pieces (`parts`) to flags and types."""
        flags: dict[str, tuple[float, Span]] = {}
        if len(self._flag_ids) and len(spans):
            sims = parts @ self._flag_rows.T  # (pieces, flag rows)
            best_piece = sims.argmax(axis=0)
            best = sims.max(axis=0)
            for row, flag_id in enumerate(self._flag_ids):
                value = float(best[row])
                if flag_id not in flags or value > flags[flag_id][0]:
                    flags[flag_id] = (value, spans[int(best_piece[row])])
        entries: dict[str, float] = {}
        if len(self._entry_ids):
            sims_whole = self._entry_rows @ whole
            sims_parts = (parts @ self._entry_rows.T).max(axis=0) if len(spans) else sims_whole
            combined = np.maximum(sims_whole, sims_parts * 0.9)
            for row, entry_id in enumerate(self._entry_ids):
                entries[entry_id] = max(entries.get(entry_id, -1.0), float(combined[row]))
            whole_best = self._best_means(sims_whole)
            parts_best = self._best_means(sims_parts)
            closeness = dict(zip(self._group_ids, zip(whole_best, parts_best, strict=True),
                                 strict=True))  # fmt: skip
            return SemanticHits(flags, entries, closeness)
        return SemanticHits(flags, entries)

    def _best_means(self, sims: np.ndarray) -> list[float]:
        """Per entry, the mean of its BEST_EXAMPLES highest similarities (all, when fewer)."""
        padded = np.append(sims.astype(np.float32), np.float32(-np.inf))[self._group_rows]
        k = min(BEST_EXAMPLES, padded.shape[1])
        top = -np.partition(-padded, k - 1, axis=1)[:, :k]
        top[~np.isfinite(top)] = 0.0
        return (top.sum(axis=1) / self._group_sizes).tolist()


def _rows(vectors: np.ndarray, payloads: list[str], prefix: str) -> tuple[np.ndarray, list[str]]:
    picked = [i for i, p in enumerate(payloads) if p.startswith(prefix)]
    ids = [payloads[i][len(prefix) :] for i in picked]
    rows = vectors[picked] if picked else np.zeros((0, vectors.shape[1]), dtype=np.float32)
    return np.ascontiguousarray(rows, dtype=np.float32), ids
