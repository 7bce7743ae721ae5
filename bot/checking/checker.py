"""The message checker: red flags (patterns and embedder), links, numbers and wallets, and the
scam types a message resembles. Plain Python, no Telegram; one model call per batch of checks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.checking.context import EXEMPT, protected, protective_spans
from bot.checking.lexical import ExampleLexicon
from bot.checking.linkdata import LinkData
from bot.checking.links import find_emails, find_links
from bot.checking.normalise import simplified
from bot.checking.patterns import PatternMatcher
from bot.checking.phones import Hotline, find_phones, hotlines
from bot.checking.result import (
    CheckResult,
    FlagHit,
    LinkInfo,
    PhoneInfo,
    Span,
    TypeMatch,
    Verdict,
    WalletInfo,
)
from bot.checking.scoring import (
    SEVERITY_WEIGHT,
    ScoringWeights,
    features,
    load_weights,
)
from bot.checking.semantic import ExampleVectors, SemanticHits, pieces
from bot.checking.textmodel import TextModel, load_text_model
from bot.checking.wallets import find_wallets
from bot.i18n import N_
from bot.knowledge.models import NON_SCAM_TOPICS, Flag, KnowledgeBase
from bot.search.embedder import Embedder
from bot.search.index import VectorIndex
from bot.search.query import clean_query
from bot.search.retriever import Retriever

MAX_CHECK_CHARS = 4000  # longer messages are cut: scams say what they want early
UNCHECKED = (  # msgids: shown in the reader's language (bot.conversation.check_flow)
    N_("I did not open any link or call any number, and I cannot see who really sent this."),
    N_(
        "Before you trust it, contact the company or person through a number, site or app you "
        "find yourself, not one given in the message."
    ),
)
JOB_FLAGS = frozenset(
    {"easy-money-job", "unsolicited-recruiter", "job-abroad-travel", "upfront-fee"}
)
_JOB_WORDS = re.compile(
    r"(?i)\b(job|work|salary|hiring|recruit\w*|position|vacanc\w+)\b|招聘|工作|兼职|兼職|高薪"
)
FOREIGN_JOB_REGIONS = frozenset({"KH", "MM"})  # +855 Cambodia, +95 Myanmar


@dataclass(frozen=True)
class Signals:
    """What the scoring model reads from one message (see bot/checking/scoring.py)."""

    flags: tuple[FlagHit, ...]
    features: tuple[float, ...]
    links: tuple[LinkInfo, ...]
    phones: tuple[PhoneInfo, ...]
    wallets: tuple[WalletInfo, ...]
    embedded: bool  # whether the embedder's signals are in (False: patterns only)
    parts: dict[str, tuple[float, ...]]  # entry id -> values in RANK_PARTS order


@dataclass(frozen=True)
class CheckConfig:
    """Tunables of the checker (chosen on the dev set, see README)."""

    use_patterns: bool = True
    use_embedding: bool = True
    flag_similarity: float = 0.62  # a piece this close to a flag's phrasing raises the flag
    matches: int = 3
    # The message's own vector: encoded (a long sequence, the slowest part of a check) or the
    # normalised mean of its sentences' vectors, which are encoded anyway.
    encode_whole: bool = False


def clean_message(text: str) -> str:
    """The text to check: control characters become spaces (newlines kept), cut to a limit."""
    chars = (
        ch if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"} else " "
        for ch in str(text or "")
    )
    return "".join(chars)[:MAX_CHECK_CHARS].strip()


class MessageChecker:
    """Checks pasted or forwarded messages. Thread-safe for reads."""

    def __init__(
        self,
        kb: KnowledgeBase,
        retriever: Retriever | None,
        embedder: Embedder | None,
        checks: VectorIndex | None,
        links: LinkData,
        config: CheckConfig | None = None,
        weights: ScoringWeights | None = None,
        text_model: TextModel | None = None,
    ) -> None:
        self.kb = kb
        self.retriever = retriever
        self.embedder = embedder
        self.links = links
        self.config = config or CheckConfig()
        self.weights = weights or load_weights()
        self.text_model = text_model or load_text_model()
        self.flags: dict[str, Flag] = {f.id: f for f in kb.flags}
        self.patterns = PatternMatcher(kb.flags)
        self.vectors = ExampleVectors(checks)
        self.hotlines: dict[str, Hotline] = hotlines(kb)
        self._scam_ids = [e.id for e in kb.entries if e.topic not in NON_SCAM_TOPICS]
        self.lexicon = ExampleLexicon([e for e in kb.entries if e.id in set(self._scam_ids)])

    @property
    def scam_ids(self) -> list[str]:
        """The entries a message can be matched to (every scam entry), in knowledge order."""
        return list(self._scam_ids)

    def pattern_count(self, text: str) -> int:
        """How many red flags the patterns alone find (cheap: no model), for `detect`."""
        return len(self.patterns.find(clean_message(text)))

    def check(self, text: str) -> CheckResult:
        """Check one message."""
        return self.check_many([text])[0]

    def check_many(self, texts: Sequence[str]) -> list[CheckResult]:
        """Check several messages with one call to the embedder."""
        return [self._result(text, signals) for text, signals in self._analyse(texts)]

    def signals_many(self, texts: Sequence[str]) -> list[Signals]:
        """The scoring model's inputs for several messages (what `fit_checker.py` fits on)."""
        return [signals for _, signals in self._analyse(texts)]

    def _analyse(self, texts: Sequence[str]) -> list[tuple[str, Signals]]:
        cleaned = [clean_message(t) for t in texts]
        queries = [clean_query(t) or "" for t in cleaned]
        splits = [pieces(t) for t in cleaned]
        vectors = self._embed(queries, splits)
        out = []
        for i, (text, query, spans) in enumerate(zip(cleaned, queries, splits, strict=True)):
            whole, parts = vectors[i] if vectors is not None else (None, None)
            out.append((text, self._signals(text, query, spans, whole, parts)))
        return out

    def _own_vector(self, query: str, spans: list[Span]) -> bool:
        """Whether the message's vector is encoded rather than averaged from its pieces."""
        return self.config.encode_whole or not spans

    def _embed(
        self, queries: list[str], splits: list[list[Span]]
    ) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """(message vector, piece vectors) per message, from one call to the embedder."""
        if self.embedder is None or not self.config.use_embedding:
            return None
        batch: list[str] = []
        for query, spans in zip(queries, splits, strict=True):
            if self._own_vector(query, spans):
                batch.append(simplified(query) or " ")
            batch.extend(simplified(s.text) for s in spans)
        vectors = self.embedder.embed(batch)
        out = []
        row = 0
        for query, spans in zip(queries, splits, strict=True):
            whole = vectors[row] if self._own_vector(query, spans) else None
            row += whole is not None
            parts = vectors[row : row + len(spans)]
            row += len(spans)
            if whole is None:
                mean = parts.sum(axis=0)
                whole = mean / max(float(np.linalg.norm(mean)), 1e-9)
            out.append((whole, parts))
        return out

    def _signals(
        self,
        text: str,
        query: str,
        spans: list[Span],
        whole: np.ndarray | None,
        parts: np.ndarray | None,
    ) -> Signals:
        semantic = (
            self.vectors.score(whole, parts, spans)
            if whole is not None and parts is not None and query
            else SemanticHits({}, {})
        )
        links = tuple(find_links(text, self.links))
        phones = tuple(find_phones(text, self.hotlines))
        wallets = tuple(find_wallets(text))
        flags = self._flags(text, semantic, links, phones, wallets)
        flag_sim = max((score for score, _ in semantic.flags.values()), default=0.0)
        example_sim = max(semantic.entries.values(), default=0.0)
        words = self.lexicon.scores(query) if query else {}
        logit, kinds = self.text_model.read(text)
        values = features(
            flags, flag_sim, example_sim, bool(protective_spans(text)),
            max(words.values(), default=0.0), logit,
        )  # fmt: skip
        parts_by_entry = (
            self._rank_parts(query, whole, semantic, flags, words, kinds) if query else {}
        )
        embedded = whole is not None
        return Signals(flags, values, links, phones, wallets, embedded, parts_by_entry)

    def _result(self, text: str, signals: Signals) -> CheckResult:
        emails = tuple(find_emails(text, self.links))
        matches = self._matches(signals.parts)
        verdict = self._verdict(signals.features, signals.embedded)
        return CheckResult(verdict, signals.flags, matches, signals.links, signals.phones, emails,
                           signals.wallets, text, UNCHECKED)  # fmt: skip

    def _hit(self, flag_id: str, spans: Sequence[Span], by: str, score: float = 1.0) -> FlagHit:
        flag = self.flags[flag_id]
        return FlagHit(flag.id, flag.name, flag.why, flag.severity, tuple(spans), by, score)

    def _flags(
        self,
        text: str,
        semantic: SemanticHits,
        links: tuple[LinkInfo, ...],
        phones: tuple[PhoneInfo, ...],
        wallets: tuple[WalletInfo, ...],
    ) -> tuple[FlagHit, ...]:
        hits: dict[str, FlagHit] = {}
        cues = protective_spans(text)

        def counts(flag_id: str, span: Span) -> bool:
            return flag_id in EXEMPT or not protected(text, span, cues)

        if self.config.use_patterns:
            for flag_id, spans in self.patterns.find(text).items():
                kept = [span for span in spans if counts(flag_id, span)]
                if kept:
                    hits[flag_id] = self._hit(flag_id, kept, "pattern")
        for flag_id, (score, span) in semantic.flags.items():
            close = score >= self.config.flag_similarity
            if flag_id not in hits and close and counts(flag_id, span):
                hits[flag_id] = self._hit(flag_id, [span], "embedding", round(score, 3))
        risky = [link.span for link in links if link.risky]
        if risky and "suspicious-link" in self.flags:
            hits["suspicious-link"] = self._hit("suspicious-link", risky, "link")
        if wallets and "crypto-payment" in self.flags and "crypto-payment" not in hits:
            hits["crypto-payment"] = self._hit(
                "crypto-payment", [w.span for w in wallets], "wallet"
            )
        foreign = [p.span for p in phones if p.region in FOREIGN_JOB_REGIONS]
        job = bool(JOB_FLAGS & hits.keys()) or bool(_JOB_WORDS.search(text))
        if foreign and job and "foreign-number" in self.flags:
            hits["foreign-number"] = self._hit("foreign-number", foreign, "phone")
        elif "foreign-number" in hits and not job:
            del hits["foreign-number"]
        order = {flag_id: i for i, flag_id in enumerate(self.flags)}
        return tuple(sorted(hits.values(), key=lambda h: (h.spans[0].start, order[h.id])))

    def _rank_parts(
        self,
        query: str,
        whole: np.ndarray | None,
        semantic: SemanticHits,
        flags: tuple[FlagHit, ...],
        words: dict[str, float],
        kinds: dict[str, float],
    ) -> dict[str, tuple[float, ...]]:
        """Per scam entry, in RANK_PARTS order: closeness of the message and of its pieces to
        the entry's examples, the retriever's lexical score, the flags' vote share, the word
        overlap with the entry's examples, and the text model's probability of the type."""
        lexical: dict[str, float] = {}
        if self.retriever is not None:
            ranked = self.retriever.rank(simplified(query), whole)
            lexical = {h.entry_id: h.lexical for h in ranked}
        votes: dict[str, float] = {}
        for hit in flags:
            weight = SEVERITY_WEIGHT.get(hit.severity, 1.0)
            for rank, entry_id in enumerate(self.flags[hit.id].entries):
                votes[entry_id] = votes.get(entry_id, 0.0) + weight / (rank + 1)
        top_vote = max(votes.values(), default=0.0) or 1.0
        return {
            entry_id: (
                *(max(v, 0.0) for v in semantic.closeness.get(entry_id, (0.0, 0.0))),
                lexical.get(entry_id, 0.0),
                votes.get(entry_id, 0.0) / top_vote,
                words.get(entry_id, 0.0),
                kinds.get(entry_id, 0.0),
            )
            for entry_id in self._scam_ids
        }

    def _matches(self, parts: dict[str, tuple[float, ...]]) -> tuple[TypeMatch, ...]:
        rank = self.weights.rank
        scored = [
            (sum(w * v for w, v in zip(rank, values, strict=True)), entry_id)
            for entry_id, values in parts.items()
        ]
        scored.sort(key=lambda pair: -pair[0])
        matches = []
        for score, entry_id in scored[: self.config.matches]:
            entry = self.kb.get(entry_id)
            assert entry is not None
            matches.append(TypeMatch(entry_id, entry.title, round(score, 4), entry.what_to_do))
        return tuple(matches)

    def _verdict(self, values: tuple[float, ...], embedded: bool) -> Verdict:
        """The fitted model's verdict: its scam probability against two thresholds."""
        model = self.weights
        if not embedded and model.patterns_only is not None:
            model = model.patterns_only
        probability = model.probability(values)
        if probability >= model.scam:
            return Verdict.SCAM
        if probability >= model.warning:
            return Verdict.WARNING
        return Verdict.NONE
