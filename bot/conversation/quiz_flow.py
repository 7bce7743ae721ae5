"""Quiz commands, deep links and buttons for the conversation core.

`Conversation` delegates every quiz event here. Buttons carry `quiz` (list), `qs:<quiz>`
(start or resume), `qa:<attempt>:<question>.<option>` (answer) and `qn:<attempt>:<question>`
(next); anything stale or forged returns None, which the core shows as "expired".
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.conversation import texts
from bot.conversation.actions import Action
from bot.conversation.markup import plain
from bot.conversation.quiz_text import localized, localized_quiz
from bot.conversation.replies import Outcome, QuizPlan, Reply, Who
from bot.conversation.utf16 import utf16_cut
from bot.i18n import _, current_language
from bot.i18n.speaker import link_payload
from bot.quizzes import views
from bot.quizzes.models import (
    AlreadyAnswered,
    AlreadyFinished,
    AnswerResult,
    ClassClosed,
    NotAllowed,
    QuestionStep,
    StartResult,
    Summary,
    is_code,
    quiz_payload,
)

if TYPE_CHECKING:
    from bot.quizzes.engine import QuizEngine
    from bot.quizzes.models import Quiz
    from bot.quizzes.repo import Run

QUIZ_COMMANDS = frozenset({"quiz", "newclass", "results", "classes", "closeclass"})
QUIZ_VERBS = frozenset({"quiz", "qs", "qa", "qn"})
_NUMBER = re.compile(r"^\d{1,9}$")
_ANSWER = re.compile(r"^(\d{1,4})\.(\d)$")
MAX_ECHO = 40  # UTF-16 units of user input quoted back in a reply


def _number(text: str) -> int | None:
    """A small non-negative integer written in ASCII digits, or None."""
    return int(text) if _NUMBER.match(text) else None


def text_reply(text: str) -> Reply:
    """A plain message with no buttons."""
    return Reply((plain(text),))


class QuizFlow:
    """Turns quiz commands and buttons into engine calls and engine results into replies."""

    def __init__(self, engine: QuizEngine, bot_username: Callable[[], str]) -> None:
        """Use `engine`; `bot_username` gives the current username for links."""
        self.engine = engine
        self.bot_username = bot_username

    def link(self, quiz_id: str, code: str | None = None) -> str:
        """The t.me deep link of a quiz or a class."""
        return views.quiz_link(self.bot_username(), link_payload(quiz_payload(quiz_id, code)))

    def _quizzes(self) -> list[Quiz]:
        """Every quiz in the current language."""
        return [localized_quiz(quiz) for quiz in self.engine.quizzes.values()]

    def _ids(self) -> str:
        """The quiz ids, for usage hints."""
        return ", ".join(self.engine.quizzes) or _("(none yet)")

    # --- commands and deep links -------------------------------------------------------------

    async def command(self, who: Who, name: str, args: str) -> list[Reply]:
        """Run /quiz, /newclass, /results, /classes or /closeclass."""
        handler = {
            "quiz": self._quiz,
            "newclass": self._new_class,
            "results": self._results,
            "classes": self._classes,
            "closeclass": self._close_class,
        }[name]
        return await handler(who, args.strip())

    async def _quiz(self, who: Who, quiz_id: str) -> list[Reply]:
        """/quiz: the list, or start one; in groups, how group quizzes work."""
        if who.group:
            return [text_reply(_(texts.QUIZ_GROUP_HINT).format(ids=self._ids()))]
        if not quiz_id:
            return [views.quiz_list_reply(self._quizzes())]
        return [await self._start_reply(who, quiz_id)]

    async def deep_link(self, who: Who, rest: str) -> list[Reply] | None:
        """`/start quiz-<id>` or `quiz-<id>-<code>`; None when it names no quiz."""
        if rest in self.engine.quizzes:
            return [await self._start_reply(who, rest)]
        quiz_id, dash, code = rest.rpartition("-")
        if dash and quiz_id in self.engine.quizzes and is_code(code):
            return [await self._start_reply(who, quiz_id, code)]
        return None

    async def _start_reply(self, who: Who, quiz_id: str, code: str | None = None) -> Reply:
        """Start or resume a quiz (or a class) and render the result."""
        result = await self.engine.start(who.user_id, quiz_id, code)
        return self._started(result)

    def _started(self, result: StartResult) -> Reply:
        """The reply to a start: a question, a summary, or why not."""
        result = localized(self.engine.quizzes, result)
        if isinstance(result, QuestionStep):
            return views.question_reply(result)
        if isinstance(result, Summary):
            return views.summary_reply(result, self.link(result.quiz_id), edit=False)
        if isinstance(result, AlreadyFinished):
            return views.finished_reply(result)
        if isinstance(result, ClassClosed):
            return views.class_closed_reply(result)
        # The id is what the user typed: echo a short piece of it, never the whole thing.
        intro = _(texts.QUIZ_UNKNOWN).format(quiz_id=utf16_cut(result.quiz_id, MAX_ECHO))
        return views.quiz_list_reply(self._quizzes(), intro)

    async def _new_class(self, who: Who, quiz_id: str) -> list[Reply]:
        """/newclass <quiz>: a class link with its QR code."""
        quiz = self.engine.quizzes.get(quiz_id)
        if quiz is None:
            return [text_reply(_(texts.CLASS_USAGE).format(ids=self._ids()))]
        code = await self.engine.create_class(who.user_id, quiz.id)
        url = self.link(quiz.id, code)
        from bot.quizzes.qr import qr_png

        png = await asyncio.to_thread(qr_png, url)
        return [views.class_created_reply(localized_quiz(quiz), code, url, png)]

    async def _results(self, who: Who, code: str) -> list[Reply]:
        """/results <code>: anonymous figures and a chart, for the creator only."""
        if not code:
            return [text_reply(_(texts.RESULTS_USAGE))]
        results = await self.engine.results(code, who.user_id)
        if isinstance(results, NotAllowed):
            return [text_reply(_(texts.RESULTS_NOT_ALLOWED))]
        results = localized(self.engine.quizzes, results)
        chart = None
        if results.participants:
            from bot.quizzes.charts import results_chart_png

            chart = await asyncio.to_thread(results_chart_png, results)
        return [views.results_reply(results, chart)]

    async def _classes(self, who: Who, args: str) -> list[Reply]:
        """/classes: the classes this user created."""
        classes = await self.engine.classes(who.user_id)
        return [views.classes_reply([localized(self.engine.quizzes, c) for c in classes])]

    async def _close_class(self, who: Who, code: str) -> list[Reply]:
        """/closeclass <code>: close a class, for the creator only."""
        if not code:
            return [text_reply(_(texts.CLOSE_USAGE))]
        closed = await self.engine.close_class(code, who.user_id)
        if isinstance(closed, NotAllowed):
            return [text_reply(_(texts.CLOSE_NOT_ALLOWED))]
        title = localized(self.engine.quizzes, closed).title
        return [text_reply(_(texts.CLOSE_DONE).format(code=code, title=title))]

    # --- buttons -----------------------------------------------------------------------------

    async def button(self, who: Who, action: Action) -> Outcome | None:
        """Handle a quiz button; None when the action is stale or forged."""
        verb, arg, arg2 = action.verb, action.arg, action.arg2
        if verb == "quiz" and not arg:
            return Outcome(await self._quiz(who, ""))
        if verb == "qs" and arg in self.engine.quizzes and not arg2:
            return Outcome([await self._start_reply(who, arg)])
        attempt_id = _number(arg)
        if verb == "qa" and attempt_id is not None and (match := _ANSWER.match(arg2)):
            return await self._answer(who, attempt_id, int(match[1]), int(match[2]))
        index = _number(arg2)
        if verb == "qn" and attempt_id is not None and index is not None:
            return await self._next(who, attempt_id, index)
        return None

    async def _answer(self, who: Who, attempt_id: int, index: int, option: int) -> Outcome | None:
        """An option button: the verdict replaces the question."""
        result = localized(
            self.engine.quizzes, await self.engine.answer(who.user_id, attempt_id, index, option)
        )
        if isinstance(result, AnswerResult):
            return Outcome([views.answer_reply(result)])
        if isinstance(result, AlreadyAnswered) and result.verdict is not None:
            verdict = localized(self.engine.quizzes, result.verdict)
            return Outcome([views.answer_reply(verdict)], _(texts.QUIZ_ALREADY_ANSWERED))
        if isinstance(result, AlreadyAnswered):
            return Outcome(notice=_(texts.QUIZ_ALREADY_ANSWERED))
        if isinstance(result, ClassClosed):
            return Outcome([views.class_closed_reply(result, edit=True)])
        return None

    async def _next(self, who: Who, attempt_id: int, index: int) -> Outcome | None:
        """Next: the next question or the summary replaces the verdict."""
        result = localized(
            self.engine.quizzes, await self.engine.next(who.user_id, attempt_id, index)
        )
        if isinstance(result, QuestionStep):
            return Outcome([views.question_reply(result, edit=True)])
        if isinstance(result, Summary):
            return Outcome([views.summary_reply(result, self.link(result.quiz_id))])
        if isinstance(result, ClassClosed):
            return Outcome([views.class_closed_reply(result, edit=True)])
        return None

    # --- groups ------------------------------------------------------------------------------

    async def group_plan(self, who: Who, quiz_id: str) -> QuizPlan | Reply:
        """A run id, an intro and the polls of a group quiz; a hint for an unknown quiz."""
        quiz = self.engine.quizzes.get(quiz_id)
        if quiz is None:
            return text_reply(_(texts.QUIZ_GROUP_HINT).format(ids=self._ids()))
        run_id = await self.engine.start_group_run(who.chat_id, quiz.id, current_language())
        shown = localized_quiz(quiz)
        return QuizPlan(run_id, views.group_intro_reply(shown), views.poll_specs(shown))

    def group_resume(self, run: Run) -> QuizPlan | None:
        """The rest of a run another replica left (None when its quiz is no longer loaded)."""
        quiz = self.engine.quizzes.get(run.quiz_id)
        if quiz is None:
            return None
        shown = localized_quiz(quiz)  # in the language the run began in (the caller's)
        intro = views.group_intro_reply(shown)
        return QuizPlan(run.id, intro, views.poll_specs(shown), start=run.next_index)

    async def claim_group_step(self, run_id: int, index: int, due_in_s: float | None) -> bool:
        """Take a step of a run for this replica; False when another one took it."""
        return await self.engine.claim_group_step(run_id, index, due_in_s)

    async def stalled_group_runs(self, stall_s: float, max_age_s: float) -> list[Run]:
        """Runs whose replica stopped before their next step."""
        return await self.engine.stalled_group_runs(stall_s, max_age_s)

    async def poll_sent(
        self, run_id: int, question_index: int, poll_id: str, correct_option: int
    ) -> None:
        """Remember a posted poll so that its answers count."""
        await self.engine.poll_sent(run_id, question_index, poll_id, correct_option)

    async def poll_answer(
        self, poll_id: str, user_id: int, first_name: str, option_ids: Sequence[int]
    ) -> None:
        """Count a vote (unknown polls, retracted and repeated votes are ignored)."""
        await self.engine.poll_answer(poll_id, user_id, first_name, option_ids)

    async def leaderboard(self, run_id: int) -> Reply:
        """Finish a run and show its leaderboard (first names only)."""
        return views.leaderboard_reply(await self.engine.finish_group_run(run_id))
