"""The accessors the conversation calls: every knowledge text in the language asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.loader import load_knowledge
from bot.knowledge.localize import (
    BookText,
    LineText,
    QuestionText,
    QuizText,
    RegionText,
    SourceText,
    book_text,
    content_language,
    entry_text,
    question_text,
    quiz_text,
    region_text,
    source_text,
)
from bot.knowledge.models import KnowledgeBase
from bot.quizzes.loader import load_quizzes
from tests.conftest import KNOWLEDGE
from tests.test_knowledge_validation import ENTRY, ZH_OK, make_kb

SOURCES = """\
- id: src-one
  title: "Jiangsu courts' caseload, 2022 to 2024"
  publisher: "The Beijing News"
  date: "2024-01-24"
  zh:
    title: "江苏法院电诈案件，2022年至2024年"
    publisher: "新京报"
"""
REGIONS = """\
checked: "2026-12"
hotline_line: "Call 110 (mainland China) or 18222 (Hong Kong), or the local police."
everywhere:
  - "If money was sent, contact your bank at once."
zh:
  hotline_line: "中国大陆拨打110，香港拨打18222，其他地方请联系当地警方。"
  everywhere:
    - "如果已经转了钱，马上联系你的银行。"
regions:
  - id: cn
    name: Mainland China
    flag: "🇨🇳"
    guess: [zh-Hans]
    zh: {name: 中国大陆}
    lines:
      - kind: report
        text: "Police: 110."
        zh: "报警：110。"
"""
QUIZ = """\
id: demo
title: Demo quiz
description: A short demo.
zh:
  title: 小测验
  description: 一个简短的示范。
questions:
  - prompt: Someone pays you 150 to like videos. Is it a job?
    options:
      - It is a real job
      - It is a task scam
    answer: 1
    explanation: Paying to like videos is the classic task scam.
    entry: task-scam
    zh:
      prompt: 有人给你150块让你点赞视频，这是工作吗？
      options:
        - 是正经工作
        - 是刷单诈骗
      explanation: 花钱请你点赞，就是典型的刷单诈骗。
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    entry = ENTRY.replace("  sources:\n", ZH_OK)
    directory = make_kb(tmp_path, {"jobs.yaml": entry}, SOURCES)
    (directory / "regions.yaml").write_text(REGIONS, encoding="utf-8")
    (directory / "languages.yaml").write_text("languages: [en, zh-Hans]\n", encoding="utf-8")
    (directory / "quizzes").mkdir()
    (directory / "quizzes" / "demo.yaml").write_text(QUIZ, encoding="utf-8")
    return directory


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant"])
def test_chinese_accessors_return_the_zh_blocks(folder: Path, lang: str) -> None:
    kb = load_knowledge(folder)
    quiz = load_quizzes(folder / "quizzes", kb)["demo"]
    assert quiz_text(quiz, lang) == QuizText("小测验", "一个简短的示范。")
    assert question_text(quiz.questions[0], lang) == QuestionText(
        "有人给你150块让你点赞视频，这是工作吗？",
        ("是正经工作", "是刷单诈骗"),
        "花钱请你点赞，就是典型的刷单诈骗。",
        "是刷单诈骗",
    )
    assert source_text(kb.sources["src-one"], lang) == SourceText(
        "江苏法院电诈案件，2022年至2024年", "新京报"
    )
    assert kb.regions is not None
    region = kb.regions.get("cn")
    assert region is not None
    assert region_text(region, lang) == RegionText(
        "cn", "中国大陆", "🇨🇳 中国大陆", (LineText("report", "报警：110。"),)
    )
    assert book_text(kb.regions, lang) == BookText(
        "中国大陆拨打110，香港拨打18222，其他地方请联系当地警方。",
        ("如果已经转了钱，马上联系你的银行。",),
    )
    assert entry_text(kb.entries[0], lang).title == "刷单"
    assert content_language(lang) == "zh-Hans"


def test_english_accessors_return_the_english_fields(folder: Path) -> None:
    kb = load_knowledge(folder)
    quiz = load_quizzes(folder / "quizzes", kb)["demo"]
    assert quiz_text(quiz, "en") == QuizText("Demo quiz", "A short demo.")
    text = question_text(quiz.questions[0], "en")
    assert text.options == ("It is a real job", "It is a task scam")
    assert text.correct == "It is a task scam" and text.prompt.startswith("Someone pays you 150")
    assert source_text(kb.sources["src-one"], "en").publisher == "The Beijing News"
    assert kb.regions is not None
    region = kb.regions.get("cn")
    assert region is not None and region_text(region, "en").label == "🇨🇳 Mainland China"
    assert region_text(region, "en").lines == (LineText("report", "Police: 110."),)
    assert book_text(kb.regions, "en").hotline_line.startswith("Call 110")
    assert entry_text(kb.entries[0], "en").title == "Task scams"


def test_an_untranslated_item_falls_back_to_english(tmp_path: Path) -> None:
    kb = load_knowledge(make_kb(tmp_path, {"jobs.yaml": ENTRY}))  # English-only folder
    assert kb.languages == ("en",)
    assert source_text(kb.sources["src-one"], "zh-Hans") == SourceText(
        "First source", "Some police"
    )
    assert entry_text(kb.entries[0], "zh-Hant").title == "Task scams"


def _chinese(text: str) -> bool:
    """Written in Chinese, or a bare number such as "999。" or "18222" (no English words)."""
    cjk = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    return cjk or not any("a" <= ch.lower() <= "z" for ch in text)


def test_every_real_text_has_its_chinese_through_the_accessors(kb: KnowledgeBase) -> None:
    quizzes = load_quizzes(KNOWLEDGE / "quizzes", kb)
    assert len(quizzes) == 5
    for quiz in quizzes.values():
        assert _chinese(quiz_text(quiz, "zh-Hant").title) and not _chinese(
            quiz_text(quiz, "en").title
        )
        for question in quiz.questions:
            zh, en = question_text(question, "zh-Hans"), question_text(question, "en")
            assert _chinese(zh.prompt) and _chinese(zh.explanation) and _chinese(zh.correct)
            assert (
                len(zh.options) == len(en.options)
                and en.correct == question.options[question.answer]
            )
    for source in (s for s in kb.sources.values() if s.shown):
        assert _chinese(source_text(source, "zh-Hans").title), source.id
    assert kb.regions is not None
    for region in kb.regions.regions:
        text = region_text(region, "zh-Hans")
        assert _chinese(text.name) and all(_chinese(line.text) for line in text.lines), region.id
        assert [line.kind for line in text.lines] == [line.kind for line in region.lines]
    assert _chinese(book_text(kb.regions, "zh-Hans").hotline_line)
    assert all(_chinese(entry_text(e, "zh-Hans").answer) for e in kb.entries)
