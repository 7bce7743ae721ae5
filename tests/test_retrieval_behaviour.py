"""Retriever behaviour on a small hand-made knowledge base with the fake embedder."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import make_entry

from bot.knowledge.models import Entry, KnowledgeBase
from bot.search.config import RetrievalConfig
from bot.search.index import VectorIndex
from bot.search.indexing import index_texts
from bot.search.query import MAX_QUERY_CHARS, clean_query
from bot.search.results import SearchResult, Status
from bot.search.retriever import Retriever

TASK_QUERY = "they pay me to like videos but now i must top up to unlock my commission"
UNRELATED = "can you help me with my algebra homework"
# Shares words with both the romance-crypto entry and the deepfake-video-call entry.
TWO_WAY = "my online girlfriend on a video call wants money to invest in crypto"


def entry(entry_id: str, title: str, questions: tuple[str, ...], answer: str) -> Entry:
    return make_entry(entry_id, title, questions, answer)


KB = KnowledgeBase(
    entries=(
        entry(
            "task-scam",
            "Task scams that pay you to like videos",
            (
                "they pay me to like videos",
                "i must top up to unlock my commission",
                "rating hotels for money app",
            ),
            "Paid tasks first, then deposits to unlock your commission.",
        ),
        entry(
            "pig-butchering",
            "Romance scams that lead to crypto investing",
            (
                "online girlfriend wants me to invest in crypto",
                "met someone on a dating app who trades bitcoin",
            ),
            "A new online friend leads you to a fake crypto platform.",
        ),
        entry(
            "deepfake-video-call",
            "Deepfake video calls asking for money",
            (
                "my boss called on video and asked for a transfer",
                "friend face on video call wants money urgently",
            ),
            "AI face swap video calls that ask for money.",
        ),
        entry(
            "report-hotlines",
            "Where to report a scam",
            ("how do i report a scam", "police hotline number for fraud"),
            "Call 110 or the 96110 anti-fraud line.",
        ),
    )
)


def make_retriever(embedder: Any, **config: Any) -> Retriever:
    texts, payloads = index_texts(KB)
    index = VectorIndex(embedder.embed(texts), payloads)
    embedder.calls.clear()
    return Retriever(KB, index, embedder, RetrievalConfig(**config))


@pytest.fixture
def retriever(fake_embedder: Any) -> Retriever:
    return make_retriever(fake_embedder)


# --- clean_query ---------------------------------------------------------------------------


def test_clean_query_cuts_long_text_at_the_last_space() -> None:
    assert clean_query("alpha beta gamma", max_chars=12) == "alpha beta"


def test_clean_query_cuts_at_the_limit_when_no_usable_space() -> None:
    assert clean_query("x" * 30, max_chars=10) == "x" * 10
    # The only space is in the first half of the cut: cutting there would lose too much.
    assert clean_query("a " + "b" * 30, max_chars=10) == "a " + "b" * 8


def test_clean_query_turns_control_and_format_chars_into_spaces() -> None:
    assert clean_query("task\x00scam\x1f") == "task scam"
    assert clean_query("job\u200bjob\u200f offer") == "job job offer"
    assert clean_query("  many \n\t spaces  ") == "many spaces"


@pytest.mark.parametrize("text", ["", "   ", "?!…", "😀🔥", "\x00\x01", "👨\u200d👩"])
def test_clean_query_is_none_without_letters_or_digits(text: str) -> None:
    assert clean_query(text) is None


def test_clean_query_rejects_non_text() -> None:
    assert clean_query(None) is None  # type: ignore[arg-type]
    assert clean_query(b"bytes") is None  # type: ignore[arg-type]


def test_clean_query_keeps_other_scripts() -> None:
    assert clean_query("刷单 legit?") == "刷单 legit?"
    assert clean_query("هل هذه وظيفة حقيقية") == "هل هذه وظيفة حقيقية"


# --- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😀🔥", "?!…", "\x00\x01"])
def test_nothing_to_search_is_empty(retriever: Retriever, fake_embedder: Any, text: str) -> None:
    result = retriever.search(text)
    assert result.status is Status.EMPTY
    assert result.hits == () and result.best is None
    assert fake_embedder.calls == []  # nothing was sent to the model


@pytest.mark.parametrize(
    "text",
    [
        "scam " * 2000,
        "a" * 10_000,
        "😀" * 10_000,
        "is 刷单 legit лол",
        "like\x00vid\x07eos top\x1bup",
        "\u202eهل هذه وظيفة حقيقية\u202c",
        "שלום, is this job real?",
    ],
    ids=["long-words", "long-run", "long-emoji", "mixed", "controls", "rtl", "hebrew"],
)
def test_hostile_input_gives_a_result_with_a_bounded_query(
    retriever: Retriever, text: str
) -> None:
    result = retriever.search(text)
    assert isinstance(result, SearchResult)
    assert len(result.query) <= MAX_QUERY_CHARS
    if result.status is not Status.EMPTY:
        assert result.hits and not any(ch.isspace() and ch != " " for ch in result.query)
        assert "\x00" not in result.query and "\u202e" not in result.query


def test_control_chars_inside_words_split_them(retriever: Retriever) -> None:
    result = retriever.search("like\x00videos top\x1bup unlock commission")
    assert result.query == "like videos top up unlock commission"
    assert result.hits[0].entry_id == "task-scam"


# --- decisions -----------------------------------------------------------------------------


def test_matching_question_is_answered(retriever: Retriever) -> None:
    result = retriever.search(TASK_QUERY)
    assert result.status is Status.ANSWER
    assert result.best is not None and result.best.entry_id == "task-scam"
    assert result.choices == ()


def test_high_threshold_declines_but_keeps_hits(fake_embedder: Any) -> None:
    retriever = make_retriever(fake_embedder, threshold=0.99)
    result = retriever.search(UNRELATED, k=3)
    assert result.status is Status.DECLINED
    assert result.best is None and result.choices == ()
    assert len(result.hits) == 3
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert result.top_score == result.hits[0].score < 0.99


def test_close_top_two_are_ambiguous(fake_embedder: Any) -> None:
    strict = make_retriever(fake_embedder, threshold=0.3)
    assert strict.search(TWO_WAY).status is Status.ANSWER  # default margin: clear enough
    retriever = make_retriever(fake_embedder, threshold=0.3, ambiguity_margin=1.0)
    result = retriever.search(TWO_WAY)
    assert result.status is Status.AMBIGUOUS
    assert len(result.choices) == 2
    assert {h.entry_id for h in result.choices} == {"pig-butchering", "deepfake-video-call"}
    assert result.best == result.choices[0]


def test_second_hit_below_threshold_is_not_ambiguous(fake_embedder: Any) -> None:
    retriever = make_retriever(fake_embedder, threshold=0.5, ambiguity_margin=1.0)
    result = retriever.search(TASK_QUERY)
    assert result.hits[1].score < 0.5 <= result.hits[0].score
    assert result.status is Status.ANSWER


@pytest.mark.parametrize("k", [1, 2, 3, 4, 10])
def test_k_bounds_the_hits(retriever: Retriever, k: int) -> None:
    assert len(retriever.search(TASK_QUERY, k=k).hits) == min(max(k, 2), len(KB.entries))


# --- modes and batching --------------------------------------------------------------------


def test_bm25_mode_never_calls_the_embedder(fake_embedder: Any) -> None:
    retriever = make_retriever(fake_embedder, mode="bm25")
    results = retriever.search_many([TASK_QUERY, UNRELATED, "police hotline to report fraud"])
    assert fake_embedder.calls == []
    assert results[0].hits[0].entry_id == "task-scam"
    assert results[2].hits[0].entry_id == "report-hotlines"
    assert all(h.dense == 0.0 for r in results for h in r.hits)


def test_dense_mode_ignores_bm25(fake_embedder: Any) -> None:
    retriever = make_retriever(fake_embedder, mode="dense")
    result = retriever.search(TASK_QUERY)
    assert all(
        h.lexical == 0.0 and h.score == pytest.approx(h.dense, abs=1e-4) for h in result.hits
    )
    assert result.hits[0].entry_id == "task-scam"


def test_search_many_makes_one_embed_call(retriever: Retriever, fake_embedder: Any) -> None:
    texts = [TASK_QUERY, "", UNRELATED, "😀", TWO_WAY, "report a scam to the police"]
    batched = retriever.search_many(texts, k=3)
    assert fake_embedder.calls == [4]  # one call, only the searchable texts
    singles = [retriever.search(t, k=3) for t in texts]
    assert batched == singles
    assert [r.status is Status.EMPTY for r in batched] == [False, True, False, True, False, False]


@pytest.mark.parametrize(
    "config",
    [{"aggregate": "mean-top-k"}, {"fusion": "rrf"}, {"aggregate": "mean-top-k", "fusion": "rrf"}],
)
def test_other_aggregation_and_fusion_rank_the_match_first(
    fake_embedder: Any, config: dict[str, str]
) -> None:
    retriever = make_retriever(fake_embedder, **config)
    assert retriever.search(TASK_QUERY).hits[0].entry_id == "task-scam"
    assert retriever.search("police hotline to report fraud").hits[0].entry_id == (
        "report-hotlines"
    )
