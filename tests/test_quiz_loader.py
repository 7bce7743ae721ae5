"""Quiz files: every validation rule with file, line and field; the real quizzes; --check."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from bot.errors import KnowledgeError, Problem
from bot.knowledge.models import KnowledgeBase
from bot.quizzes.loader import load_quizzes
from bot.quizzes.models import QuestionTranslation, Quiz, QuizQuestion, QuizTranslation

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
FILE = "knowledge/quizzes/demo.yaml"
REAL_QUIZZES = {"fake-jobs", "crypto-investment", "ai-deepfakes", "what-would-you-do", "starter"}

# Line numbers matter: the cases below point at them.
VALID = """\
id: demo
title: Demo quiz
description: A short demo.
questions:
  - prompt: Someone pays you to like videos. Is it a job?
    options:
      - It is a real job
      - It is a task scam
    answer: 1
    explanation: Paying to like videos is the classic task scam.
    entry: task-scam
  - prompt: A recruiter asks for a training fee. What now?
    options:
      - Pay it
      - Walk away
      - Pay half
    answer: 1
    explanation: A real employer never asks you to pay to start.
    entry: upfront-fee-job
"""


@pytest.fixture
def english(kb: KnowledgeBase) -> KnowledgeBase:
    """The real entries as a folder written in English only (languages.yaml: [en]): the
    English rules' tests; the Chinese ones use `kb`, whose folder names zh-Hans."""
    return dataclasses.replace(kb, languages=("en",))


def quiz_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge" / "quizzes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def problems_of(folder: Path, kb: KnowledgeBase) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        load_quizzes(folder, kb)
    return info.value.problems


def test_a_valid_folder_loads(tmp_path: Path, english: KnowledgeBase) -> None:
    folder = quiz_dir(tmp_path)
    write(folder, "demo", VALID)
    write(folder, "other", VALID.replace("id: demo", "id: other"))
    (folder / "notes.txt").write_text("not a quiz", encoding="utf-8")
    quizzes = load_quizzes(folder, english)
    assert list(quizzes) == ["demo", "other"]
    demo = quizzes["demo"]
    assert demo == Quiz(
        "demo",
        "Demo quiz",
        "A short demo.",
        (
            QuizQuestion(
                "Someone pays you to like videos. Is it a job?",
                ("It is a real job", "It is a task scam"),
                1,
                "Paying to like videos is the classic task scam.",
                "task-scam",
            ),
            QuizQuestion(
                "A recruiter asks for a training fee. What now?",
                ("Pay it", "Walk away", "Pay half"),
                1,
                "A real employer never asks you to pay to start.",
                "upfront-fee-job",
            ),
        ),
    )


def test_an_absent_folder_means_no_quizzes(tmp_path: Path, english: KnowledgeBase) -> None:
    assert load_quizzes(tmp_path / "knowledge" / "quizzes", english) == {}


LONG = "x" * 301


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("entry: task-scam\n", "entry: task-scam\n    colour: red\n", 12,
         "questions[0].colour", "unknown key 'colour'"),
        ("title: Demo quiz\n", "title: Demo quiz\ntitel: Demo\n", 3, "titel",
         "unknown key 'titel' (did you mean 'title'?)"),
        ("title: Demo quiz\n", "", 1, "title", "missing required field"),
        ("description: A short demo.", "description:", 3, "description", "must not be empty"),
        ("    answer: 1\n    explanation: Paying", "    answer: one\n    explanation: Paying", 9,
         "questions[0].answer", "expected a whole number, got text"),
        ("      - It is a real job", "      - yes", 7, "questions[0].options[0]",
         "expected text, got true/false"),
        ("    entry: task-scam\n", "", 5, "questions[0].entry", "missing required field"),
        ("explanation: Paying to like videos is the classic task scam.", "explanation: ''", 10,
         "questions[0].explanation", "must not be empty"),
        ("    answer: 1\n    explanation: Paying", "    answer: 2\n    explanation: Paying", 9,
         "questions[0].answer", "2 is not an option index: use 0 to 1 (0 = first)"),
        ("    answer: 1\n    explanation: Paying", "    answer: -1\n    explanation: Paying", 9,
         "questions[0].answer", "-1 is not an option index"),
        ("prompt: Someone pays you to like videos. Is it a job?", f"prompt: {LONG}", 5,
         "questions[0].prompt", "has 301 characters; at most 300 are allowed"),
        ("      - It is a real job", f"      - {'o' * 101}", 7, "questions[0].options[0]",
         "has 101 characters; at most 100 are allowed"),
        ("explanation: A real employer never asks you to pay to start.",
         f"explanation: {'e' * 201}", 18, "questions[1].explanation",
         "has 201 characters; at most 200 are allowed"),
        ("      - Pay half\n", "      - Pay half\n      - Pay double\n      - Pay later\n", 13,
         "questions[1].options", "has 5 options; at most 4 are allowed"),
        ("      - It is a real job\n", "", 6, "questions[0].options",
         "needs at least 2 item(s), got 1"),
        ("      - Pay half", "      - Pay it", 16, "questions[1].options[2]",
         "'Pay it' is listed twice"),
        ("entry: task-scam", "entry: task-scan", 11, "questions[0].entry",
         "unknown entry id 'task-scan' (did you mean 'task-scam'?)"),
        ("options:\n      - Pay it\n      - Walk away\n      - Pay half\n", "options: Pay\n",
         13, "questions[1].options", "expected a list, got text"),
        ("id: demo", "id: other", 1, "id", "'other' must equal the file name 'demo'"),
        ("id: demo", "id: Demo_Quiz", 1, "id", "'Demo_Quiz' is not kebab-case"),
        ("  - prompt: A recruiter", "  - just text\n  - prompt: A recruiter", 12, "questions[1]",
         "list item is text, expected a mapping of fields"),
    ],
)  # fmt: skip
def test_each_rule_reports_file_line_and_field(
    tmp_path: Path, english: KnowledgeBase, old: str, new: str, line: int, field: str, message: str
) -> None:
    assert old in VALID
    folder = quiz_dir(tmp_path)
    write(folder, "demo", VALID.replace(old, new, 1))
    problems = problems_of(folder, english)
    assert [(p.file, p.line, p.field) for p in problems] == [(FILE, line, field)], problems
    assert message in problems[0].message


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("- a\n- b\n", 1, "", "expected a mapping with id, title, description, questions"),
        ("", 1, "", "got an empty file"),
        ("id: demo\ntitle: [unclosed\n", 3, "", "invalid YAML"),
        (VALID.split("questions:")[0] + "questions: []\n", 4, "questions", "must not be empty"),
        (VALID.split("questions:")[0] + "questions:\n", 4, "questions", "must not be empty"),
        (VALID.split("questions:")[0], 1, "questions", "missing required field"),
    ],
)
def test_whole_file_faults(
    tmp_path: Path, english: KnowledgeBase, text: str, line: int, field: str, message: str
) -> None:
    folder = quiz_dir(tmp_path)
    write(folder, "demo", text)
    problems = problems_of(folder, english)
    assert [(p.file, p.line, p.field) for p in problems] == [(FILE, line, field)], problems
    assert message in problems[0].message


def test_more_than_twenty_questions_are_refused(tmp_path: Path, english: KnowledgeBase) -> None:
    head, body = VALID.split("questions:\n")
    first = body.split("  - prompt: A recruiter")[0]
    folder = quiz_dir(tmp_path)
    write(folder, "demo", head + "questions:\n" + first * 21)
    problems = problems_of(folder, english)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (4, "questions", "has 21 questions; at most 20 are allowed")
    ]


def test_quiz_ids_longer_than_thirty_are_refused(tmp_path: Path, english: KnowledgeBase) -> None:
    long_id = "a-" * 15 + "b"  # 31 characters
    folder = quiz_dir(tmp_path)
    write(folder, long_id, VALID.replace("id: demo", f"id: {long_id}"))
    [problem] = problems_of(folder, english)
    assert (problem.file, problem.line, problem.field) == (
        f"knowledge/quizzes/{long_id}.yaml",
        1,
        "id",
    )
    assert problem.message == "has 31 characters; at most 30 are allowed"


def test_duplicate_ids_and_all_problems_of_all_files_at_once(
    tmp_path: Path, english: KnowledgeBase
) -> None:
    folder = quiz_dir(tmp_path)
    write(folder, "alpha", VALID.replace("id: demo", "id: beta").replace("answer: 1", "answer: 7"))
    write(folder, "beta", VALID.replace("id: demo", "id: beta").replace("task-scam", "nope"))
    problems = problems_of(folder, english)
    assert [(p.file, p.line, p.field) for p in problems] == [
        ("knowledge/quizzes/alpha.yaml", 1, "id"),
        ("knowledge/quizzes/alpha.yaml", 9, "questions[0].answer"),
        ("knowledge/quizzes/alpha.yaml", 17, "questions[1].answer"),
        ("knowledge/quizzes/beta.yaml", 1, "id"),
        ("knowledge/quizzes/beta.yaml", 11, "questions[0].entry"),
    ]
    assert "must equal the file name 'alpha'" in problems[0].message
    assert problems[3].message == (
        "duplicate quiz id 'beta' (first defined at knowledge/quizzes/alpha.yaml:1)"
    )


# --- the Chinese (zh) blocks ------------------------------------------------------------------

# VALID with its Chinese: the quiz's zh at lines 4-6, the questions' at 15-20 and 29-35.
BILINGUAL = """\
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
  - prompt: A recruiter asks for a training fee. What now?
    options:
      - Pay it
      - Walk away
      - Pay half
    answer: 1
    explanation: A real employer never asks you to pay to start.
    entry: upfront-fee-job
    zh:
      prompt: 招聘的人让你交培训费，怎么办？
      options:
        - 交
        - 走人
        - 交一半
      explanation: 真正的雇主从来不会让你先交钱再上班。
"""


def test_a_bilingual_quiz_loads_with_its_chinese(tmp_path: Path, kb: KnowledgeBase) -> None:
    assert kb.languages == ("en", "zh-Hans")
    folder = quiz_dir(tmp_path)
    write(folder, "demo", BILINGUAL)
    quiz = load_quizzes(folder, kb)["demo"]
    assert quiz.zh == QuizTranslation("小测验", "一个简短的示范。")
    assert quiz.questions[1].zh == QuestionTranslation(
        "招聘的人让你交培训费，怎么办？",
        ("交", "走人", "交一半"),
        "真正的雇主从来不会让你先交钱再上班。",
    )
    assert quiz.questions[0].options == ("It is a real job", "It is a task scam")


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "message"),
    [
        ("zh:\n  title: 小测验\n  description: 一个简短的示范。\n", "", 1, "zh",
         "missing the Chinese translation: add zh: {title, description}"),
        (BILINGUAL[BILINGUAL.index("    zh:\n      prompt: 招聘") :], "", 21, "questions[1].zh",
         "missing the Chinese translation: add zh: {prompt, options, explanation}"),
        ("  description: 一个简短的示范。\n", "", 5, "zh.description", "missing required field"),
        ("        - 交一半\n", "", 31, "questions[1].zh.options",
         "has 2 item(s); the English options has 3"),
        ("        - 走人", "        - 交", 33, "questions[1].zh.options[1]",
         "'交' is listed twice"),
        ("有人给你150块", "有人给你160块", 16, "questions[0].zh.prompt",
         "lacks 150 (in the English); has 160 (not in the English)"),
        ("explanation: 花钱请你点赞，就是典型的刷单诈骗。", f"explanation: {'长' * 201}", 20,
         "questions[0].zh.explanation", "has 201 characters; at most 200 are allowed"),
        ("        - 是正经工作", f"        - {'选' * 101}", 18, "questions[0].zh.options[0]",
         "has 101 characters; at most 100 are allowed"),
        ("  title: 小测验\n", "  title: 小测验\n  summary: 无\n", 6, "zh.summary",
         "unknown key 'summary'"),
        ("      prompt: 招聘的人让你交培训费，怎么办？\n", "", 30, "questions[1].zh.prompt",
         "missing required field"),
    ],
)  # fmt: skip
def test_each_chinese_rule_reports_file_line_and_field(
    tmp_path: Path, kb: KnowledgeBase, old: str, new: str, line: int, field: str, message: str
) -> None:
    assert old in BILINGUAL
    folder = quiz_dir(tmp_path)
    write(folder, "demo", BILINGUAL.replace(old, new, 1))
    problems = problems_of(folder, kb)
    assert [(p.file, p.line, p.field) for p in problems] == [(FILE, line, field)], problems
    assert message in problems[0].message


def test_an_english_only_folder_needs_no_chinese(tmp_path: Path, english: KnowledgeBase) -> None:
    folder = quiz_dir(tmp_path)
    write(folder, "demo", VALID)
    write(folder, "other", BILINGUAL.replace("id: demo", "id: other"))
    quizzes = load_quizzes(folder, english)
    assert quizzes["demo"].zh is None and quizzes["demo"].questions[0].zh is None
    assert quizzes["other"].zh is not None  # a zh block is still read and checked


# --- the real quizzes --------------------------------------------------------------------------


def snapshot_quizzes(dest: Path, kb: KnowledgeBase, attempts: int = 5) -> dict[str, Quiz]:
    """Copy the quiz files (a writer may be editing them) and load the copy."""
    for attempt in range(attempts):
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(KNOWLEDGE / "quizzes", dest)
        try:
            return load_quizzes(dest, kb)
        except KnowledgeError:  # caught a file half-written: copy again
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def test_the_real_quizzes_are_valid_and_complete(tmp_path: Path, kb: KnowledgeBase) -> None:
    quizzes = snapshot_quizzes(tmp_path / "knowledge" / "quizzes", kb)
    assert set(quizzes) >= REAL_QUIZZES
    for quiz in quizzes.values():
        assert 8 <= len(quiz.questions) <= 10, quiz.id  # the content rule
        assert all(kb.get(q.entry) for q in quiz.questions)
        assert quiz.zh is not None, quiz.id  # the folder names zh-Hans: every quiz has its zh
        for question in quiz.questions:
            assert question.zh is not None and len(question.zh.options) == len(question.options)


# --- scripts/build_index.py --check ------------------------------------------------------------


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_index_q", ROOT / "scripts/build_index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def knowledge_copy(dest: Path) -> None:
    """A copy of the entries and sources, with a quizzes folder of our own."""
    dest.mkdir(parents=True)
    shutil.copy2(KNOWLEDGE / "sources.yaml", dest / "sources.yaml")
    shutil.copytree(KNOWLEDGE / "entries", dest / "entries")
    (dest / "quizzes").mkdir()


def test_check_validates_quizzes_too(
    tmp_path: Path, build_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    knowledge = tmp_path / "kb"
    knowledge_copy(knowledge)
    write(knowledge / "quizzes", "demo", VALID)
    assert build_script.main(["--knowledge", str(knowledge), "--check"]) == 0
    out, _ = capsys.readouterr()
    assert re.fullmatch(
        rf"{re.escape(str(knowledge))}: 1 quiz, \d+ entries and \d+ sources are valid\n", out
    )

    write(knowledge / "quizzes", "demo", VALID.replace("answer: 1", "answer: 5"))
    write(
        knowledge / "quizzes",
        "more",
        VALID.replace("id: demo", "id: more").replace("task-scam", "nope"),
    )
    assert build_script.main(["--knowledge", str(knowledge), "--check"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "error: 3 problems" in err
    assert "kb/quizzes/demo.yaml:9: questions[0].answer: 5 is not an option index" in err
    assert "kb/quizzes/demo.yaml:17: questions[1].answer: 5 is not an option index" in err
    assert "kb/quizzes/more.yaml:11: questions[0].entry: unknown entry id 'nope'" in err


def test_check_reports_entry_and_quiz_problems_in_one_run(
    tmp_path: Path, build_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    knowledge = tmp_path / "kb"
    knowledge_copy(knowledge)
    write(knowledge / "quizzes", "demo", VALID.replace("answer: 1", "answer: 5"))
    jobs = knowledge / "entries" / "jobs.yaml"
    text = jobs.read_text(encoding="utf-8")
    jobs.write_text(text.replace("  topic: jobs\n", "  topic: jobz\n", 1), encoding="utf-8")
    assert build_script.main(["--knowledge", str(knowledge), "--check"]) == 1
    _, err = capsys.readouterr()
    assert "kb/entries/jobs.yaml:4: topic: unknown value 'jobz'" in err
    assert "kb/quizzes/demo.yaml:9: questions[0].answer: 5 is not an option index" in err
    assert "unknown entry id" not in err  # quizzes still see the entries of the broken file


def test_check_names_each_missing_chinese_quiz_text(
    tmp_path: Path, build_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    knowledge = tmp_path / "kb"
    knowledge_copy(knowledge)
    shutil.copy2(KNOWLEDGE / "languages.yaml", knowledge / "languages.yaml")
    shutil.copy2(KNOWLEDGE / "regions.yaml", knowledge / "regions.yaml")
    write(knowledge / "quizzes", "demo", BILINGUAL)
    assert build_script.main(["--knowledge", str(knowledge), "--check"]) == 0
    capsys.readouterr()
    write(knowledge / "quizzes", "demo", VALID)
    assert build_script.main(["--knowledge", str(knowledge), "--check"]) == 1
    _, err = capsys.readouterr()
    assert "error: 3 problems" in err
    assert "kb/quizzes/demo.yaml:1: zh: missing the Chinese translation" in err
    assert "kb/quizzes/demo.yaml:5: questions[0].zh: missing the Chinese translation" in err
    assert "kb/quizzes/demo.yaml:12: questions[1].zh: missing the Chinese translation" in err
