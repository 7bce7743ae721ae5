"""Content rules of issue 12: readability, figures need dated sources, short Sources lines,
placeholders filled from settings, and quizzes whose form gives nothing away. Each rule holds
for the real knowledge folder and fails on a deliberately broken copy."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path
from statistics import median

import pytest

from bot.answers import compose
from bot.conversation.core import Conversation, ConversationConfig
from bot.conversation.replies import Who
from bot.errors import KnowledgeError, Problem
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import KnowledgeBase
from bot.knowledge.placeholders import fill, unknown_placeholders, values_from
from bot.knowledge.readability import (
    MAX_GRADE,
    MAX_MEDIAN_GRADE,
    answer_grades,
    fk_grade,
    readability_problems,
    sentence_count,
    syllables,
    words,
)
from bot.knowledge.validate import FIGURE_RE
from bot.quizzes.form import quiz_form
from bot.quizzes.loader import load_quizzes
from bot.quizzes.models import QuizQuestion
from bot.settings import Settings
from tests.conftest import copy_knowledge

WHO = Who(user_id=7, chat_id=7, first_name="Ann")


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def _problems(directory: Path) -> list[Problem]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(directory)
    return caught.value.problems


def _entry_block(path: Path, entry_id: str) -> tuple[int, int]:
    """First and last line (1-based) of one entry in an entry file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line == f"- id: {entry_id}")
    end = next(
        (i - 1 for i in range(start + 1, len(lines) + 1) if lines[i - 1].startswith("- id: ")),
        len(lines),
    )
    return start, end


# --- readability --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word,count",
    [("cat", 1), ("phone", 1), ("make", 1), ("table", 2), ("money", 2), ("people", 2),
     ("employers", 3), ("education", 4), ("readability", 5), ("cryptocurrency", 5)],
)  # fmt: skip
def test_syllables_of_known_words(word: str, count: int) -> None:
    assert syllables(word) == count


def test_fk_grade_of_known_sentences() -> None:
    # 6 words, 6 syllables, 1 sentence: 0.39 * 6 + 11.8 * 1 - 15.59
    assert fk_grade("The cat sat on the mat.") == pytest.approx(-1.45)
    # Good(1) em-ploy-ers(3) nev-er(2) charge(1) you(1) a(1) fee(1): 7 words, 10 syllables
    assert fk_grade("Good employers never charge you a fee.") == pytest.approx(
        0.39 * 7 + 11.8 * 10 / 7 - 15.59
    )
    hard = (
        "Notwithstanding considerable regulatory uncertainty, unlicensed intermediaries "
        "systematically facilitated misappropriation of investors' cryptocurrency holdings."
    )
    assert fk_grade(hard) > 20
    assert sentence_count("Stop paying. Keep the chats! Report it, e.g. to 110?") == 3
    assert words("Call 96110 or 国家反诈中心 now") == ["Call", "or", "now"]


def test_every_answer_reads_at_grade_ten_or_below_with_a_median_of_eight(
    kb: KnowledgeBase,
) -> None:
    """Holds every entry in knowledge/, including entries added later."""
    grades = answer_grades(kb.entries)
    assert readability_problems(kb.entries) == []
    assert max(grades.values()) <= MAX_GRADE and median(grades.values()) <= MAX_MEDIAN_GRADE


def test_readability_fails_on_a_hard_answer(kb: KnowledgeBase) -> None:
    hard = (
        "The card-breaking campaign's non-counter banking suspension, combined with "
        "joint-punishment restrictions, substantially constrains individuals' financial "
        "participation notwithstanding their purported ignorance of the transactions."
    )
    broken = [
        dataclasses.replace(e, answer=hard) if e.id == "task-scam" else e for e in kb.entries
    ]
    [problem] = readability_problems(broken)
    assert problem.startswith("task-scam: answer has Flesch-Kincaid grade")
    all_hard = [dataclasses.replace(e, answer=f"{hard} Stop.") for e in kb.entries[:3]]
    assert any("median" in p for p in readability_problems(all_hard))


# --- figures need a dated document; at most three shown sources ---------------------------


@pytest.mark.parametrize(
    "text", ["62.1% were", "HK$5 million", "4.3 million yuan", "1,244 reports",
             "79 AI face-swap cases", "at least 120,000 people were held", "S$651.8 million",
             "2,086 victims"],
)  # fmt: skip
def test_figures_are_recognised(text: str) -> None:
    assert FIGURE_RE.search(text)


@pytest.mark.parametrize(
    "text", ["3 or more cards", "in about ten minutes", "since 2023", "call 96110", "15 transfers"]
)
def test_other_numbers_are_not_figures(text: str) -> None:
    assert FIGURE_RE.search(text) is None


def test_a_figure_without_a_dated_source_is_an_error(tmp_path: Path) -> None:
    copy_knowledge(tmp_path / "knowledge")
    path = tmp_path / "knowledge" / "entries" / "help.yaml"
    # who-gets-scammed states 62.1% etc.; leave it only the internal reference file
    _replace(
        path,
        "sources: [mps-victims-2024, spp-work-report-2024, scamwise-reference-facts]",
        "sources: [scamwise-reference-facts]",
    )
    start, _ = _entry_block(path, "who-gets-scammed")
    answer_line = start + _line_of_in(path, start, "  answer:")
    [problem] = _problems(tmp_path / "knowledge")
    assert (problem.file, problem.line, problem.field) == (
        "knowledge/entries/help.yaml",
        answer_line,
        "answer",
    )
    assert "figure" in problem.message and "dated" in problem.message


def _line_of_in(path: Path, start: int, prefix: str) -> int:
    """Offset from `start` of the first line at or after it that starts with prefix."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(
        i for i in range(len(lines) - start + 1) if lines[start - 1 + i].startswith(prefix)
    )


def test_more_than_three_shown_sources_is_an_error(tmp_path: Path) -> None:
    copy_knowledge(tmp_path / "knowledge")
    path = tmp_path / "knowledge" / "entries" / "jobs.yaml"
    old = "sources: [mps-student-lesson-2023, ftc-task-scams-2024, official-hotlines]"
    _replace(path, old, old.replace("]", ", chengdu-police-always-scams-2021]"))
    [problem] = _problems(tmp_path / "knowledge")
    assert (problem.line, problem.field) == (_line_of(path, "chengdu-police-always"), "sources")
    assert "at most 3" in problem.message


def test_sources_shown_to_users_are_short_and_never_internal(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        shown = compose(entry, kb).sources
        assert len(shown) <= 3, entry.id
        assert all("ScamWise" not in s.title and "ScamWise" not in s.publisher for s in shown)
    money_mule = compose(kb.get("money-mule"), kb)
    assert "scamwise-reference-facts" in kb.get("money-mule").sources
    labels = [s.short_label() for s in money_mule.sources]
    assert "Official hotlines (checked 2026-12)" in labels
    assert "Supreme People's Procuratorate, 2024-03-03" in labels
    for source in kb.sources.values():
        assert "not named" not in f"{source.title} {source.publisher}", source.id


# --- placeholders ---------------------------------------------------------------------------


def test_privacy_states_the_retention_the_bot_runs_with(kb: KnowledgeBase) -> None:
    entry = kb.get("privacy")
    assert "{retention_days}" in entry.answer
    text = compose(entry, kb, values_from(45)).text
    assert "deleted after 45 days" in text and "{" not in text
    assert ConversationConfig().retention_days == Settings().retention_days


async def test_the_conversation_fills_the_privacy_answer_from_its_config(
    kb: KnowledgeBase,
) -> None:
    async def search(text: str, k: int):  # type: ignore[no-untyped-def]
        raise AssertionError("not used")

    class Store:
        async def record_unanswered(self, *args: object) -> None: ...
        async def record_feedback(self, *args: object) -> None: ...
        async def forget_user(self, user_id: int) -> int:
            return 0

    config = ConversationConfig(retention_days=30)
    conversation = Conversation(kb, search, Store(), config, rng=random.Random(1))
    [reply] = await conversation.on_command(WHO, "privacy")
    assert "after 30 days" in reply.plain_text() and "retention_days" not in reply.plain_text()


def test_placeholders_are_filled_and_unknown_ones_found() -> None:
    assert fill("kept {retention_days} days, {other} stays", {"retention_days": 9}) == (
        "kept 9 days, {other} stays"
    )
    assert unknown_placeholders("{retention_days} {retention_day} {x}") == ["retention_day", "x"]


def test_an_unknown_placeholder_is_a_validation_error(tmp_path: Path) -> None:
    copy_knowledge(tmp_path / "knowledge")
    path = tmp_path / "knowledge" / "entries" / "about.yaml"
    answer_text = "deleted after {retention_days} days. To remove"  # the answer's, not the short's
    _replace(path, answer_text, answer_text.replace("retention_days", "retention_dayz"))
    start, _ = _entry_block(path, "privacy")
    answer_line = start + _line_of_in(path, start, "  answer:")
    [problem] = _problems(tmp_path / "knowledge")
    assert (problem.file, problem.line, problem.field) == (
        "knowledge/entries/about.yaml",
        answer_line,
        "answer",
    )
    assert "unknown placeholder '{retention_dayz}'" in problem.message
    assert "did you mean 'retention_days'" in problem.message


# --- quiz form ------------------------------------------------------------------------------


def test_no_quiz_can_be_guessed_from_the_form_of_its_options(kb: KnowledgeBase) -> None:
    quizzes = load_quizzes(_quiz_dir(), kb)
    assert len(quizzes) >= 5
    problems = [
        p
        for quiz in quizzes.values()
        for lang in ("en", "zh-Hans")
        for p in quiz_form(quiz, lang).problems()
    ]
    assert problems == []
    assert all(quiz_form(quiz, "zh-Hans").lang == "zh-Hans" for quiz in quizzes.values())


def _quiz_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "knowledge" / "quizzes"


def test_quiz_form_fails_on_a_broken_copy(kb: KnowledgeBase) -> None:
    quiz = next(iter(load_quizzes(_quiz_dir(), kb).values()))
    # the old habit: the right answer is the long one that carries its reason
    broken = dataclasses.replace(
        quiz,
        questions=tuple(
            dataclasses.replace(
                q,
                options=tuple(
                    f"No: {o}, because that is what the entry teaches" if i == q.answer else o
                    for i, o in enumerate(q.options)
                ),
            )
            for q in quiz.questions
        ),
    )
    problems = quiz_form(broken).problems()
    assert any("longest in 100%" in p for p in problems)
    assert any("explain themselves" in p for p in problems)
    terse = dataclasses.replace(
        quiz,
        questions=tuple(
            dataclasses.replace(
                q, options=tuple("Yes" if i == q.answer else o for i, o in enumerate(q.options))
            )
            for q in quiz.questions
        ),
    )
    assert any("shortest in 100%" in p for p in quiz_form(terse).problems())


def test_quiz_explanations_point_to_an_entry(kb: KnowledgeBase) -> None:
    for quiz in load_quizzes(_quiz_dir(), kb).values():
        for question in quiz.questions:
            assert kb.get(question.entry) is not None
            assert not re.search(r"\{\w+\}", question.explanation)


def test_quiz_form_holds_for_the_chinese_options_too(kb: KnowledgeBase) -> None:
    quiz = next(iter(load_quizzes(_quiz_dir(), kb).values()))

    def zh_options(question: QuizQuestion, options: tuple[str, ...]) -> QuizQuestion:
        assert question.zh is not None
        return dataclasses.replace(question, zh=dataclasses.replace(question.zh, options=options))

    # the right Chinese option made the long one that gives its reason: 不对：……，因为……
    broken = dataclasses.replace(
        quiz,
        questions=tuple(
            zh_options(
                q,
                tuple(
                    f"不对：{o}，因为这就是骗局的套路" if i == q.answer else o
                    for i, o in enumerate(q.zh.options if q.zh else ())
                ),
            )
            for q in quiz.questions
        ),
    )
    problems = quiz_form(broken, "zh-Hans").problems()
    assert any("(zh-Hans): the correct option is the longest in 100%" in p for p in problems)
    assert any("explain themselves" in p for p in problems)
    assert quiz_form(broken, "en").problems() == []  # the English options are untouched
