"""Plain dataclasses for quizzes and for what the quiz engine returns (no I/O here).

Result objects are anonymous: none holds a user id, and only group leaderboards hold first
names, which players show to their group anyway.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime

QUIZ_ID_MAX_CHARS = 30
MIN_QUESTIONS = 1
MAX_QUESTIONS = 20
MIN_OPTIONS = 2
MAX_OPTIONS = 4
PROMPT_MAX_CHARS = 300  # Telegram's limit for a poll question
OPTION_MAX_CHARS = 100  # Telegram's limit for a poll option
EXPLANATION_MAX_CHARS = 200  # Telegram's limit for a quiz poll explanation
CLASS_CODE_LENGTH = 8
PAYLOAD_MAX_CHARS = 64  # Telegram's limit for a /start deep-link payload
CODE_ALPHABET = string.ascii_letters + string.digits


def quiz_payload(quiz_id: str, code: str | None = None) -> str:
    """The /start payload of a quiz (`quiz-<id>`) or of a class (`quiz-<id>-<code>`)."""
    payload = f"quiz-{quiz_id}-{code}" if code else f"quiz-{quiz_id}"
    assert len(payload) <= PAYLOAD_MAX_CHARS, payload
    return payload


def is_code(text: str) -> bool:
    """Whether text has the shape of a class code: CLASS_CODE_LENGTH letters or digits."""
    return len(text) == CLASS_CODE_LENGTH and all(c in CODE_ALPHABET for c in text)


@dataclass(frozen=True)
class QuestionTranslation:
    """A question in Simplified Chinese: options in the same count and order as the English."""

    prompt: str
    options: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class QuizQuestion:
    """One multiple-choice question; `answer` indexes `options`, `entry` names a KB entry."""

    prompt: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    entry: str
    zh: QuestionTranslation | None = None


@dataclass(frozen=True)
class QuizTranslation:
    """A quiz's title and description in Simplified Chinese."""

    title: str
    description: str


@dataclass(frozen=True)
class Quiz:
    """A validated quiz from `knowledge/quizzes/<id>.yaml`."""

    id: str
    title: str
    description: str
    questions: tuple[QuizQuestion, ...]
    zh: QuizTranslation | None = None


@dataclass(frozen=True)
class Progress:
    """Where an attempt stands: question `position` (1-based) of `total`, and the score."""

    position: int
    total: int
    score: int

    def __str__(self) -> str:
        """Progress as shown to users, e.g. "3/8"."""
        return f"{self.position}/{self.total}"


@dataclass(frozen=True)
class QuestionStep:
    """The question to show next (`index` is 0-based)."""

    attempt_id: int
    quiz_id: str
    title: str
    index: int
    total: int
    prompt: str
    options: tuple[str, ...]
    score: int
    resumed: bool = False


@dataclass(frozen=True)
class AnswerResult:
    """The verdict on one answer."""

    attempt_id: int
    question_index: int
    prompt: str
    correct: bool
    correct_option: int
    correct_text: str
    explanation: str
    entry: str
    progress: Progress


@dataclass(frozen=True)
class Missed:
    """A question answered wrongly, with what to learn from it."""

    index: int
    prompt: str
    correct_text: str
    explanation: str
    entry: str


@dataclass(frozen=True)
class Summary:
    """The end of an attempt: the score and the questions missed."""

    attempt_id: int
    quiz_id: str
    title: str
    score: int
    total: int
    missed: tuple[Missed, ...]
    class_code: str | None = None


@dataclass(frozen=True)
class AlreadyFinished:
    """The user already took this class quiz: their score."""

    quiz_id: str
    title: str
    score: int
    total: int


@dataclass(frozen=True)
class ClassClosed:
    """The class is closed (or its link is no longer valid)."""

    quiz_id: str
    title: str


@dataclass(frozen=True)
class Expired:
    """A stale or forged button: unknown attempt, someone else's, or not the current question."""


@dataclass(frozen=True)
class AlreadyAnswered:
    """This question was answered already; the second tap did not count.

    `verdict` is the stored answer's verdict when the question is still the current one: the
    first verdict may never have reached the user (a crash between the commit and the reply),
    so the tap shows it again, with its Next button.
    """

    verdict: AnswerResult | None = None


@dataclass(frozen=True)
class NotAllowed:
    """Only the creator of a class may see its results or close it."""


@dataclass(frozen=True)
class UnknownQuiz:
    """No quiz has that id."""

    quiz_id: str


@dataclass(frozen=True)
class ClassInfo:
    """One class of a creator, for /classes."""

    code: str
    quiz_id: str
    title: str
    created_at: datetime
    closed: bool
    participants: int


@dataclass(frozen=True)
class MissedQuestion:
    """A question of a class quiz with its share of correct answers."""

    index: int
    prompt: str
    correct_text: str
    explanation: str
    share_correct: float


@dataclass(frozen=True)
class ClassResults:
    """Anonymous figures of a class: finished attempts only, no ids or names.

    `distribution[s]` is how many participants scored `s` (0..total); `share_correct[i]` is
    the share of participants who answered question i correctly.
    """

    code: str
    quiz_id: str
    title: str
    closed: bool
    participants: int
    in_progress: int
    total: int
    average: float | None
    distribution: tuple[int, ...]
    share_correct: tuple[float, ...]
    most_missed: tuple[MissedQuestion, ...]


StartResult = QuestionStep | Summary | AlreadyFinished | ClassClosed | UnknownQuiz
AnswerOutcome = AnswerResult | AlreadyAnswered | ClassClosed | Expired
NextOutcome = QuestionStep | Summary | ClassClosed | Expired
