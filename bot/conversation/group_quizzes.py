"""The conversation's group quiz calls: the Telegram adapter posts the polls, these plan,
resume, claim and score them (mixed into `bot.conversation.core.Conversation`).

Each run's leaderboard comes in the language the run began in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.conversation import texts, views
from bot.conversation.replies import QuizPlan, Reply, Who
from bot.i18n import _, speaking
from bot.knowledge.localize import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from bot.conversation.quiz_flow import QuizFlow
    from bot.i18n.speaker import Speaker
    from bot.quizzes.repo import Run


class GroupQuizzes:
    """Group quizzes, for a conversation with a quiz flow (or none) and a speaker."""

    quiz: QuizFlow | None
    speaker: Speaker
    _run_languages: dict[int, tuple[str, Who]]  # group quiz run -> who started it

    async def group_quiz_plan(self, who: Who, quiz_id: str) -> QuizPlan | Reply:
        """Start a group quiz: its run id, intro and poll specs, or a Reply saying why not."""
        lang = await self.speaker.resolve(who)
        with speaking(lang):
            plan: QuizPlan | Reply = (
                views.text_reply(_(texts.QUIZ_UNAVAILABLE))
                if self.quiz is None
                else await self.quiz.group_plan(who, quiz_id)
            )
        if isinstance(plan, QuizPlan):  # the leaderboard comes in the same language
            self._run_languages[plan.run_id] = (lang, who)
        return await self.speaker.finish(lang, who, plan)

    async def group_quiz_resume(self, run: Run) -> tuple[QuizPlan, Who] | None:
        """The rest of a group quiz whose replica stopped, in the language it began in, and
        who it speaks to (the group); None when its quiz is gone."""
        if self.quiz is None:
            return None
        lang = run.language or DEFAULT_LANGUAGE
        who = Who(0, run.chat_id, group=True)
        with speaking(lang):
            plan = self.quiz.group_resume(run)
        if plan is None:
            return None
        self._run_languages[run.id] = (lang, who)  # the leaderboard in the same language
        return await self.speaker.finish(lang, who, plan), who

    async def claim_group_step(self, run_id: int, index: int, due_in_s: float | None) -> bool:
        """Take step `index` of a group quiz run (a poll, then the leaderboard at the end)
        for this replica, the next due in `due_in_s`; False when another replica took it."""
        if self.quiz is None:
            return False
        return await self.quiz.claim_group_step(run_id, index, due_in_s)

    async def stalled_group_runs(self, stall_s: float, max_age_s: float) -> list[Run]:
        """Group quiz runs left behind by a replica that stopped (for the leading replica)."""
        return [] if self.quiz is None else await self.quiz.stalled_group_runs(stall_s, max_age_s)

    async def on_poll_sent(
        self, run_id: int, question_index: int, poll_id: str, correct_option: int
    ) -> None:
        """Remember the Telegram id of a posted quiz poll so that its answers count."""
        if self.quiz is not None:
            await self.quiz.poll_sent(run_id, question_index, poll_id, correct_option)

    async def on_poll_answer(
        self, poll_id: str, user_id: int, first_name: str, option_ids: Sequence[int]
    ) -> None:
        """Count a group member's vote (unknown polls and retracted votes are ignored)."""
        if self.quiz is not None:
            await self.quiz.poll_answer(poll_id, user_id, first_name, option_ids)

    async def group_leaderboard(self, run_id: int) -> Reply:
        """Finish a group quiz and show first names with their correct answers."""
        lang, who = self._run_languages.pop(run_id, ("en", None))
        with speaking(lang):
            board = (
                views.text_reply(_(texts.QUIZ_UNAVAILABLE))
                if self.quiz is None
                else await self.quiz.leaderboard(run_id)
            )
        return await self.speaker.finish(lang, who, board)
