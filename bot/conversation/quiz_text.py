"""Quiz engine results in the language of the reply being built.

The engine works on the English quiz files (attempts, classes and their results count answers
by question number, whatever language each student took the quiz in); these functions swap
the texts it returns for the same question's texts in the current language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TypeVar

from bot.i18n import current_language
from bot.knowledge.localize import question_text, quiz_text
from bot.quizzes.models import (
    AlreadyFinished,
    AnswerResult,
    ClassClosed,
    ClassInfo,
    ClassResults,
    QuestionStep,
    Quiz,
    QuizQuestion,
    Summary,
)

T = TypeVar("T")


def quiz_title(quizzes: Mapping[str, Quiz], quiz_id: str, english: str) -> str:
    """A quiz's title in the current language (`english` when the quiz is unknown)."""
    quiz = quizzes.get(quiz_id)
    return quiz_text(quiz, current_language()).title if quiz is not None else english


def _question(quizzes: Mapping[str, Quiz], quiz_id: str, index: int) -> QuizQuestion | None:
    quiz = quizzes.get(quiz_id)
    if quiz is None or not 0 <= index < len(quiz.questions):
        return None
    return quiz.questions[index]


def _by_prompt(quizzes: Mapping[str, Quiz], index: int, prompt: str) -> QuizQuestion | None:
    """The question at `index` whose English prompt is `prompt` (AnswerResult has no quiz id)."""
    for quiz in quizzes.values():
        if index < len(quiz.questions) and quiz.questions[index].prompt == prompt:
            return quiz.questions[index]
    return None


def localized(quizzes: Mapping[str, Quiz], result: T) -> T:
    """The engine result with its quiz texts in the current language (others unchanged)."""
    lang = current_language()
    out: object = result
    if isinstance(result, QuestionStep):
        q = _question(quizzes, result.quiz_id, result.index)
        if q is not None:
            text = question_text(q, lang)
            title = quiz_title(quizzes, result.quiz_id, result.title)
            out = replace(result, title=title, prompt=text.prompt, options=text.options)
    elif isinstance(result, AnswerResult):
        q = _by_prompt(quizzes, result.question_index, result.prompt)
        if q is not None:
            text = question_text(q, lang)
            out = replace(
                result, prompt=text.prompt, correct_text=text.correct, explanation=text.explanation
            )
    elif isinstance(result, Summary):
        missed = []
        for m in result.missed:
            q = _question(quizzes, result.quiz_id, m.index)
            if q is not None:
                text = question_text(q, lang)
                m = replace(
                    m, prompt=text.prompt, correct_text=text.correct, explanation=text.explanation
                )
            missed.append(m)
        title = quiz_title(quizzes, result.quiz_id, result.title)
        out = replace(result, title=title, missed=tuple(missed))
    elif isinstance(result, ClassResults):
        most = []
        for question in result.most_missed:
            q = _question(quizzes, result.quiz_id, question.index)
            if q is not None:
                text = question_text(q, lang)
                question = replace(
                    question,
                    prompt=text.prompt,
                    correct_text=text.correct,
                    explanation=text.explanation,
                )
            most.append(question)
        title = quiz_title(quizzes, result.quiz_id, result.title)
        out = replace(result, title=title, most_missed=tuple(most))
    elif isinstance(result, AlreadyFinished | ClassClosed | ClassInfo):
        out = replace(result, title=quiz_title(quizzes, result.quiz_id, result.title))
    return out  # type: ignore[return-value]


def localized_quiz(quiz: Quiz) -> Quiz:
    """The quiz with its title, description and questions in the current language."""
    lang = current_language()
    text = quiz_text(quiz, lang)
    questions = []
    for q in quiz.questions:
        qt = question_text(q, lang)
        questions.append(
            replace(q, prompt=qt.prompt, options=qt.options, explanation=qt.explanation)
        )
    return replace(
        quiz, title=text.title, description=text.description, questions=tuple(questions)
    )
