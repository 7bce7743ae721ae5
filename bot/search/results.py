"""Plain result types returned by the retriever."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """What the retriever concluded about a message."""

    ANSWER = "answer"  # one entry matches well
    AMBIGUOUS = "ambiguous"  # the top two match well and are close: ask "did you mean"
    DECLINED = "declined"  # nothing matches well enough
    EMPTY = "empty"  # nothing to search (blank, emoji or symbols only)


@dataclass(frozen=True)
class Hit:
    """One candidate entry with its scores."""

    entry_id: str
    score: float  # the score used for ranking and for the decline threshold
    dense: float  # best-vector (or mean-top-k) cosine similarity
    lexical: float  # normalised BM25 score in [0, 1)


@dataclass(frozen=True)
class SearchResult:
    """The ranked candidates for one message and the verdict."""

    query: str
    status: Status
    hits: tuple[Hit, ...]

    @property
    def best(self) -> Hit | None:
        """The entry to answer with, or None when declined or empty."""
        if self.status in (Status.ANSWER, Status.AMBIGUOUS) and self.hits:
            return self.hits[0]
        return None

    @property
    def choices(self) -> tuple[Hit, ...]:
        """The entries to offer as "did you mean": the top two when ambiguous."""
        return self.hits[:2] if self.status is Status.AMBIGUOUS else ()

    @property
    def top_score(self) -> float:
        """The best candidate's score, 0.0 when there is none."""
        return self.hits[0].score if self.hits else 0.0
