"""Form rules that keep a quiz from being guessed: the right option must not stand out.

Three tells are measured per quiz: how often the correct option is the longest one, how often
it is the shortest (what a rewrite against the first tell tends to produce), and whether
options that carry their own reason ("No: ...", "... because ...") are more common among right
answers than among wrong ones. The test-suite holds every quiz in knowledge/quizzes/ to them,
in English and in its Chinese (`zh`) options, where length counts characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.localize import content_language, question_text
from bot.quizzes.models import Quiz, QuizQuestion

MAX_LONGEST_SHARE = 0.40  # the correct option is the longest in at most this share of questions
MAX_SHORTEST_SHARE = 0.40  # ... and the shortest in at most this share (the opposite tell)
MAX_EXPLAINED_GAP = 0.15  # explained options: share among right minus share among wrong answers
# An option that explains itself: "No: ...", "... ; ...", "... because ...", "... since ...".
EXPLAINED_RE = re.compile(r":\s|;\s|\bbecause\b|\bsince\b", re.IGNORECASE)
# The same in Chinese: "不行：……", "……；……", "因为……", "由于……", "所以……", "既然……".
EXPLAINED_ZH_RE = re.compile(r"[:：;；]|因为|由于|所以|既然")


def correct_is_longest(question: QuizQuestion) -> bool:
    """Whether the correct option is at least as long as every other option."""
    right = len(question.options[question.answer])
    return all(right >= len(o) for i, o in enumerate(question.options) if i != question.answer)


def correct_is_shortest(question: QuizQuestion) -> bool:
    """Whether the correct option is at most as long as every other option."""
    right = len(question.options[question.answer])
    return all(right <= len(o) for i, o in enumerate(question.options) if i != question.answer)


def is_explained(option: str, lang: str = "en") -> bool:
    """Whether an option carries its own reason."""
    pattern = EXPLAINED_ZH_RE if content_language(lang) == "zh-Hans" else EXPLAINED_RE
    return bool(pattern.search(option))


@dataclass(frozen=True)
class QuizForm:
    """The form figures of one quiz."""

    quiz_id: str
    lang: str
    questions: int
    longest_share: float  # share of questions whose correct option is the longest
    shortest_share: float  # share of questions whose correct option is the shortest
    explained_right: float  # share of correct options that explain themselves
    explained_wrong: float  # share of wrong options that explain themselves

    def problems(self) -> list[str]:
        """What gives the answers away, in words; empty when the quiz passes."""
        found = []
        name = f"{self.quiz_id} ({self.lang})"
        if self.longest_share > MAX_LONGEST_SHARE:
            found.append(
                f"{name}: the correct option is the longest in {self.longest_share:.0%}"
                f" of questions (at most {MAX_LONGEST_SHARE:.0%})"
            )
        if self.shortest_share > MAX_SHORTEST_SHARE:
            found.append(
                f"{name}: the correct option is the shortest in {self.shortest_share:.0%}"
                f" of questions (at most {MAX_SHORTEST_SHARE:.0%})"
            )
        if abs(self.explained_right - self.explained_wrong) > MAX_EXPLAINED_GAP:
            found.append(
                f"{name}: {self.explained_right:.0%} of correct options explain"
                f" themselves but {self.explained_wrong:.0%} of wrong ones do"
                f" (the gap may be at most {MAX_EXPLAINED_GAP:.0%})"
            )
        return found


def quiz_form(quiz: Quiz, lang: str = "en") -> QuizForm:
    """Measure one quiz in `lang` (its zh options for Chinese)."""
    questions = [_in_language(q, lang) for q in quiz.questions]
    right = [q.options[q.answer] for q in questions]
    wrong = [o for q in questions for i, o in enumerate(q.options) if i != q.answer]
    count = len(questions) or 1
    return QuizForm(
        quiz_id=quiz.id,
        lang=content_language(lang),
        questions=len(questions),
        longest_share=sum(correct_is_longest(q) for q in questions) / count,
        shortest_share=sum(correct_is_shortest(q) for q in questions) / count,
        explained_right=sum(is_explained(o, lang) for o in right) / (len(right) or 1),
        explained_wrong=sum(is_explained(o, lang) for o in wrong) / (len(wrong) or 1),
    )


def _in_language(question: QuizQuestion, lang: str) -> QuizQuestion:
    """The question with its options in `lang` (the answer index is the same)."""
    options = question_text(question, lang).options
    return QuizQuestion(question.prompt, options, question.answer, question.explanation, "")
