"""Load `knowledge/quizzes/*.yaml` into validated Quiz objects, or report every problem.

Each file is one mapping: `id` (kebab-case, equal to the file name), `title`, `description`
and `questions`, a list of mappings with `prompt`, `options`, `answer` (0-based index into
options), `explanation` and `entry` (the id of a knowledge entry to learn more from). The quiz
and each question carry a Simplified Chinese `zh` block (required when the knowledge folder's
languages.yaml names zh-Hans): `zh: {title, description}` and `zh: {prompt, options,
explanation}`, the options in the same count and order as the English.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import KnowledgeError, Problem
from bot.knowledge.languages import needs_chinese
from bot.knowledge.loader import display_path
from bot.knowledge.models import KnowledgeBase
from bot.knowledge.parity import report_differences, report_list_differences, translation_block
from bot.knowledge.validate import Place, report_duplicate_ids
from bot.knowledge.yaml_lines import FieldChecker, LineDict, describe, read_yaml, suggest
from bot.quizzes.models import (
    EXPLANATION_MAX_CHARS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MIN_OPTIONS,
    MIN_QUESTIONS,
    OPTION_MAX_CHARS,
    PROMPT_MAX_CHARS,
    QUIZ_ID_MAX_CHARS,
    QuestionTranslation,
    Quiz,
    QuizQuestion,
    QuizTranslation,
)

QUIZZES_DIR = "quizzes"
QUIZ_KEYS = ("id", "title", "description", "zh", "questions")
QUIZ_ZH_KEYS = ("title", "description")
QUESTION_KEYS = ("prompt", "options", "answer", "explanation", "entry", "zh")
QUESTION_ZH_KEYS = ("prompt", "options", "explanation")


def quiz_files(directory: Path) -> list[Path]:
    """The quiz files of a folder, sorted by name (none when the folder is absent)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.yaml") if p.is_file())


def _limited(checker: FieldChecker, key: str, limit: int) -> str | None:
    """A required non-empty text of at most `limit` characters."""
    value = checker.text(key)
    if value is not None and len(value) > limit:
        checker.report(key, f"has {len(value)} characters; at most {limit} are allowed")
        return None
    return value


def _options(checker: FieldChecker) -> tuple[str, ...] | None:
    """MIN..MAX_OPTIONS distinct option texts of at most OPTION_MAX_CHARS each."""
    raw = checker.mapping.get("options")
    options = checker.text_list("options", min_items=MIN_OPTIONS)
    if isinstance(raw, list) and len(raw) > MAX_OPTIONS:
        checker.report("options", f"has {len(raw)} options; at most {MAX_OPTIONS} are allowed")
        return None
    seen: set[str] = set()
    for i, text, line in checker.indexed("options"):
        if len(text) > OPTION_MAX_CHARS:
            message = f"has {len(text)} characters; at most {OPTION_MAX_CHARS} are allowed"
            checker.report(f"options[{i}]", message, line)
        if text in seen:
            checker.report(f"options[{i}]", f"'{text}' is listed twice", line)
        seen.add(text)
    if options is None or not isinstance(raw, list) or len(options) != len(raw):
        return None
    return options if len(options) >= MIN_OPTIONS else None


def _question_translation(checker: FieldChecker, required: bool) -> QuestionTranslation | None:
    """The question in Chinese: the same limits, option for option with the English, and the
    same numbers and links."""
    zh = translation_block(checker, QUESTION_ZH_KEYS, required=required)
    if zh is None:
        return None
    prompt = _limited(zh, "prompt", PROMPT_MAX_CHARS)
    options = _options(zh)
    explanation = _limited(zh, "explanation", EXPLANATION_MAX_CHARS)
    for key in ("prompt", "explanation"):
        report_differences(zh, key, checker.mapping.get(key), zh.mapping.get(key))
    report_list_differences(checker, "options", zh, "options")
    english = checker.mapping.get("options")
    if prompt is None or options is None or explanation is None:
        return None
    if isinstance(english, list) and len(english) != len(options):
        return None
    return QuestionTranslation(prompt, options, explanation)


def _answer(checker: FieldChecker, options: tuple[str, ...] | None) -> int | None:
    """The index of the right option: 0 for the first one."""
    answer = checker.integer("answer")
    if answer is None:
        return None
    if answer < 0 or (options is not None and answer >= len(options)):
        top = f"0 to {len(options) - 1}" if options is not None else "0 or more"
        checker.report("answer", f"{answer} is not an option index: use {top} (0 = first)")
        return None
    return answer


def _entry(checker: FieldChecker, kb: KnowledgeBase) -> str | None:
    """The id of an existing knowledge entry."""
    entry = checker.text("entry")
    if entry is not None and kb.get(entry) is None:
        hint = suggest(entry, (e.id for e in kb.entries))
        checker.report("entry", f"unknown entry id '{entry}'{hint}")
        return None
    return entry


def _question(checker: FieldChecker, kb: KnowledgeBase, require_zh: bool) -> QuizQuestion | None:
    """One question, or None after reporting what is wrong with it."""
    checker.check_keys(QUESTION_KEYS)
    prompt = _limited(checker, "prompt", PROMPT_MAX_CHARS)
    options = _options(checker)
    answer = _answer(checker, options)
    explanation = _limited(checker, "explanation", EXPLANATION_MAX_CHARS)
    entry = _entry(checker, kb)
    zh = _question_translation(checker, require_zh)
    if prompt is None or options is None or answer is None or explanation is None:
        return None
    if entry is None or (checker.has("zh") and zh is None):
        return None
    return QuizQuestion(prompt, options, answer, explanation, entry, zh)


def _quiz_translation(checker: FieldChecker, required: bool) -> QuizTranslation | None:
    """The quiz's title and description in Chinese."""
    zh = translation_block(checker, QUIZ_ZH_KEYS, required=required)
    if zh is None:
        return None
    title, description = zh.text("title"), zh.text("description")
    for key in QUIZ_ZH_KEYS:
        report_differences(zh, key, checker.mapping.get(key), zh.mapping.get(key))
    return QuizTranslation(title, description) if title and description else None


def _questions(
    checker: FieldChecker, kb: KnowledgeBase, require_zh: bool
) -> tuple[QuizQuestion, ...]:
    """MIN..MAX_QUESTIONS valid questions (invalid ones are reported and left out)."""
    raw = checker.mapping.get("questions")
    if "questions" in checker.mapping and (raw is None or raw == []):
        checker.report("questions", f"must not be empty (needs at least {MIN_QUESTIONS})")
    elif isinstance(raw, list) and len(raw) > MAX_QUESTIONS:
        message = f"has {len(raw)} questions; at most {MAX_QUESTIONS} are allowed"
        checker.report("questions", message)
    questions = (_question(item, kb, require_zh) for item in checker.items("questions"))
    return tuple(q for q in questions if q is not None)


def _quiz_id(checker: FieldChecker, path: Path) -> str | None:
    """A kebab-case id of at most QUIZ_ID_MAX_CHARS characters, equal to the file name."""
    quiz_id = checker.kebab("id")
    if quiz_id is None:
        return None
    if len(quiz_id) > QUIZ_ID_MAX_CHARS:
        message = f"has {len(quiz_id)} characters; at most {QUIZ_ID_MAX_CHARS} are allowed"
        checker.report("id", message)
    if quiz_id != path.stem:
        checker.report("id", f"'{quiz_id}' must equal the file name '{path.stem}'")
    return quiz_id


def _quiz(checker: FieldChecker, path: Path, kb: KnowledgeBase) -> Quiz:
    """Build one Quiz, reporting every fault; invalid fields fall back to empty values."""
    checker.check_keys(QUIZ_KEYS)
    require_zh = needs_chinese(kb.languages)
    quiz_id = _quiz_id(checker, path)
    title, description = checker.text("title"), checker.text("description")
    zh = _quiz_translation(checker, require_zh)
    questions = _questions(checker, kb, require_zh)
    return Quiz(quiz_id or "", title or "", description or "", questions, zh)


def _load_file(
    path: Path, file: str, kb: KnowledgeBase, problems: list[Problem]
) -> tuple[Quiz, Place] | None:
    """Read and validate one quiz file; None when it is not a mapping at all."""
    doc = read_yaml(path, file, problems)
    if doc is None:
        return None
    if not isinstance(doc.data, LineDict):
        got = "an empty file" if doc.data is None else describe(doc.data)
        keys = ", ".join(k for k in QUIZ_KEYS if k != "zh")
        message = f"expected a mapping with {keys}, got {got}"
        problems.append(Problem(file, 1, "", message))
        return None
    checker = FieldChecker(file, doc.data, problems)
    return _quiz(checker, path, kb), Place(file, checker.line("id"))


def _sort_key(problem: Problem) -> tuple[str, int, str, str]:
    """Order problems by file, then line, then field."""
    return (problem.file, problem.line, problem.field, problem.message)


def load_quizzes(directory: Path, kb: KnowledgeBase) -> dict[str, Quiz]:
    """Load `<dir>/*.yaml` (no folder: no quizzes); raise KnowledgeError listing all problems.
    The quizzes need their Chinese when `kb` (their knowledge folder) is written in zh-Hans."""
    directory = Path(directory)
    root = directory.resolve().parent.parent
    problems: list[Problem] = []
    loaded: list[tuple[Quiz, Place]] = []
    for path in quiz_files(directory):
        result = _load_file(path, display_path(path, root), kb, problems)
        if result is not None:
            loaded.append(result)
    ids = [(quiz.id, place) for quiz, place in loaded if quiz.id]
    report_duplicate_ids(ids, "quiz", problems)
    if problems:
        raise KnowledgeError(sorted(problems, key=_sort_key))
    return {quiz.id: quiz for quiz, _ in loaded}
