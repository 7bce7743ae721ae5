"""Short questions ("what is X", "X meaning", single terms) reach X's entry."""

from __future__ import annotations

import pytest

from bot.evaluation import load_cases, slice_reports
from bot.search.definitions import definition_term, is_term
from bot.search.indexing import index_rows
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("query", "term"),
    [
        ("what is a task scam", "task scam"),
        ("What's pig butchering?", "pig butchering"),
        ("deepfake meaning", "deepfake"),
        ("how do i spot a deepfake", "deepfake"),
        ("what does ICO mean", "ico"),
        ("刷单是什么", "刷单"),
        ("什么是杀猪盘？", "杀猪盘"),
        ("跑分什么意思", "跑分"),
        ("whats a good credit score", None),  # advice, not a definition
        ("what is the best way to report my boss who keeps asking me for a deposit", None),
        ("they paid me to like videos", None),
    ],
)
def test_definition_term(query: str, term: str | None) -> None:
    assert definition_term(query) == term


def test_single_terms_count_but_sentences_do_not() -> None:
    assert is_term("ICO") and is_term("刷单") and is_term("pig butchering")
    assert not is_term("bitcoin price today") and not is_term("they paid me to like videos")


def test_tags_are_indexed_after_sentences_and_marked(kb) -> None:  # type: ignore[no-untyped-def]
    rows = index_rows(kb)
    task = [(row.text, row.is_tag) for row in rows if row.entry_id == "task-scam"]
    assert task[0] == (kb.get("task-scam").title, False)
    assert ("刷单", True) in task and all(tag for _, tag in task[-3:])


def test_about_entries_do_not_win_on_what_is(real_retriever) -> None:  # type: ignore[no-untyped-def]
    for query, expect in [
        ("what is a task scam", "task-scam"),
        ("task scam meaning", "task-scam"),
        ("what is an ico", "crypto-legal-china"),
        ("刷单", "task-scam"),
        ("pig butchering", "pig-butchering"),
        ("what is scamwise", "about-bot"),
    ]:
        result = real_retriever.search(query)
        assert result.best is not None and result.best.entry_id == expect, (query, result.hits)


def test_the_dev_set_has_a_short_slice_reported_on_its_own(kb) -> None:  # type: ignore[no-untyped-def]
    cases = load_cases(ROOT / "tests/data/dev_questions.yaml", kb)
    short = [c for c in cases if c.slice == "short"]
    assert len(short) >= 60
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in c.q) for c in short)
    assert sum(c.q.isascii() for c in short) >= 30
    from bot.search.results import Hit, SearchResult, Status

    results = [
        SearchResult(c.q, Status.ANSWER, (Hit(c.expect or "x", 0.9, 0.9, 0.9),))
        if c.slice
        else SearchResult(c.q, Status.DECLINED, ())
        for c in cases
    ]
    reports = slice_reports(cases, results)
    assert reports["short"]["n"] == len(short) and reports["short"]["top1"] == 1.0
    assert reports["(no slice)"]["n"] == len(cases) - len(short)
