"""Group quizzes: a quiz posted as native Telegram quiz polls, one at a time, then a leaderboard.

Each run is a background asyncio task per chat: intro, then for every question a quiz poll
open for `seconds`, a wait of that long, and after the last one the leaderboard. At most one
run per chat: this process's memory stops a double /quiz at once, and the database (one open
run per chat) stops a second run started by another replica. Telegram quirks:
- only non-anonymous polls produce PollAnswer updates (who chose what), so polls are public;
- `open_period` (5-600 s) closes each poll by itself, so there is no stopPoll call;
- answers cast just before a poll closes may reach us a moment later: a short grace period
  comes before the leaderboard.

The polls' timers are timed jobs: they run on the replica holding the jobs' lock (see
bot.storage.leader). A replica without it that receives /quiz posts the intro only; the
run's progress is in the database, and each step (a poll, then the leaderboard) is claimed
there before it is posted. The lock holder picks up every run whose next step is due and not
taken (`adopt`, every ADOPT_EVERY_S): runs started elsewhere, and runs its predecessor was
posting when it stopped (killed, restarted, a rolling deploy). Every step is posted once.

The tasks are plain asyncio tasks, not `Application.create_task`: PTB's `stop()` awaits its
own tasks, and a quiz of 20 questions can last 200 minutes. `aclose` (post_stop and
post_shutdown) cancels unfinished runs instead; a cancelled run posts nothing more here and
is carried on by the leading replica (on SQLite: by this process once it runs again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import TelegramError

from bot.conversation.core import Conversation
from bot.conversation.markup import plain
from bot.conversation.replies import Button, QuizPlan, Reply, Who
from bot.i18n import N_, _
from bot.quizzes.repo import Conflict
from bot.telegram import render

log = logging.getLogger(__name__)

Wait = Callable[[float], Awaitable[None]]

# How runs wait between polls; tests replace it (or pass `wait` to GroupQuizzes).
sleep: Wait = asyncio.sleep

GROUP_QUIZZES = "group-quizzes"  # key of the GroupQuizzes in application.bot_data
ANSWER_GRACE_S = 2.0
# The replica holding the jobs' lock posts the polls of every run: those started by another
# replica and those whose step is this late (the previous holder stopped), if not older than
# RESUME_MAX_AGE_S (older runs are closed, not resumed); it looks every ADOPT_EVERY_S.
STALL_S = 1.0
RESUME_MAX_AGE_S = 600.0
ADOPT_EVERY_S = 3.0

ALREADY_RUNNING = N_(
    "A quiz is already running in this chat. Answer its polls, and start another one once "
    "the results are in."
)
POLLS_FAILED = N_(
    "Sorry, something went wrong while posting this quiz, so it has stopped. Please check that "
    "I'm allowed to send polls in this chat, then try again."
)
PRIVATE_ONLY = N_(
    "Class tools work in a private chat with me, so class codes and results stay with the "
    "educator. Please message me privately and send the command there."
)
OPEN_PRIVATE_CHAT = N_("💬 Message me privately")


def private_only_reply(bot_username: str) -> Reply:
    """The answer to /newclass, /results and friends in a group: take it to a private chat."""
    button = Button(_(OPEN_PRIVATE_CHAT), url=f"https://t.me/{bot_username}")
    return Reply((plain(_(PRIVATE_ONLY)),), ((button,),))


class GroupQuizzes:
    """The group quiz runs of one application: at most one per chat, each a background task."""

    def __init__(self, seconds: int, wait: Wait | None = None) -> None:
        """Keep each poll open `seconds`; `wait` replaces the module's `sleep` (for tests)."""
        self.seconds = seconds
        self._wait = wait
        self._chats: set[int] = set()  # chats with a run being planned or under way
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def task(self, chat_id: int) -> asyncio.Task[None] | None:
        """The run under way in a chat, if any."""
        return self._tasks.get(chat_id)

    async def start(
        self,
        bot: Bot,
        conversation: Conversation,
        who: Who,
        quiz_id: str,
        quote: int | None,
        here: bool = True,
    ) -> list[Reply]:
        """Start a run of a quiz in the chat; what to say now (nothing when it started).

        `here`: this replica runs the timed jobs, so it posts the polls itself. Otherwise it
        posts the intro, and the replica holding the jobs' lock posts the polls from its next
        round on (within ADOPT_EVERY_S).
        """
        chat_id = who.chat_id
        if chat_id in self._chats:
            return await conversation.say(who, lambda: [Reply((plain(_(ALREADY_RUNNING)),))])
        # Claimed before the first await: two /quiz commands handled at once start one run.
        self._chats.add(chat_id)
        try:
            plan = await conversation.group_quiz_plan(who, quiz_id.lower())
        except Conflict:  # the database has an open run here: another replica started it
            self._chats.discard(chat_id)
            return await conversation.say(who, lambda: [Reply((plain(_(ALREADY_RUNNING)),))])
        except BaseException:
            self._chats.discard(chat_id)
            raise
        if isinstance(plan, Reply):  # an unknown quiz: the hint with the quiz ids
            self._chats.discard(chat_id)
            return [plan]
        if not here:
            self._chats.discard(chat_id)
            await render.send_replies(bot, chat_id, [plan.intro], quote=quote)
            return []
        self._launch(bot, conversation, who, plan, quote, intro=True)
        return []

    def _forget(self, chat_id: int, task: asyncio.Task[None]) -> None:
        """Free the chat once its run has ended (even if cancelled before it began)."""
        if self._tasks.get(chat_id) is task:
            del self._tasks[chat_id]
            self._chats.discard(chat_id)

    async def _pause(self, seconds: float) -> None:
        """Wait while a poll is open."""
        await (self._wait or sleep)(seconds)

    async def _run(
        self,
        bot: Bot,
        conversation: Conversation,
        who: Who,
        plan: QuizPlan,
        quote: int | None,
        intro: bool,
    ) -> None:
        """Intro, one poll at a time, then the leaderboard; errors end the run politely.

        Each step is claimed in the database before it is posted, so when another replica
        carries the run on (this one stopped, or was too slow), every step is posted once.
        """
        chat_id, sent, total = who.chat_id, 0, len(plan.polls)
        try:
            if intro:
                await render.send_replies(bot, chat_id, [plan.intro], quote=quote)
            for index in range(plan.start, total):
                spec = plan.polls[index]
                pause = self.seconds + (ANSWER_GRACE_S if index == total - 1 else 0.0)
                if not await conversation.claim_group_step(plan.run_id, index, pause):
                    log.info("group quiz run %s carried on by another replica", plan.run_id)
                    return
                message = await render.send_quiz_poll(bot, chat_id, spec, self.seconds)
                if message.poll is None:
                    raise TelegramError("sendPoll returned a message without a poll")
                # PollAnswer updates name the poll by id only: remember which question it is.
                await conversation.on_poll_sent(
                    plan.run_id, index, message.poll.id, spec.correct_option
                )
                sent += 1
                await self._pause(pause)
            if not await conversation.claim_group_step(plan.run_id, total, None):
                return  # another replica posts the leaderboard
        except asyncio.CancelledError:
            # Stopping (a restart, a rolling deploy): the run stays open, and the replica that
            # runs the timed jobs carries it on from the step it was at.
            log.info("group quiz run %s in chat %s stopped here", plan.run_id, chat_id)
            raise
        except Exception:
            log.exception("group quiz run %s in chat %s failed", plan.run_id, chat_id)
            failed = await conversation.say(who, lambda: [Reply((plain(_(POLLS_FAILED)),))])
            await _say(bot, chat_id, failed[0])
        try:
            board = await conversation.group_leaderboard(plan.run_id)  # marks the run finished
        except Exception:
            log.exception("could not finish group quiz run %s", plan.run_id)
            return
        if sent or plan.start:
            await _say(bot, chat_id, board)

    async def adopt(self, bot: Bot, conversation: Conversation) -> int:
        """Carry on the runs whose replica stopped (the leading replica calls this)."""
        runs = await conversation.stalled_group_runs(STALL_S, RESUME_MAX_AGE_S)
        adopted = 0
        for run in runs:
            if run.chat_id in self._chats:
                continue  # running here (only late)
            resumed = await conversation.group_quiz_resume(run)
            if resumed is None:  # its quiz is gone: close it
                await conversation.group_leaderboard(run.id)
                continue
            log.info("carrying on group quiz run %s in chat %s", run.id, run.chat_id)
            plan, who = resumed
            self._launch(bot, conversation, who, plan, None, intro=False)
            adopted += 1
        return adopted

    def _launch(
        self,
        bot: Bot,
        conversation: Conversation,
        who: Who,
        plan: QuizPlan,
        quote: int | None,
        intro: bool,
    ) -> None:
        """Run a plan in the background (`intro`: post its intro first); the chat is busy
        until it ends."""
        chat_id = who.chat_id
        self._chats.add(chat_id)
        task = asyncio.create_task(
            self._run(bot, conversation, who, plan, quote, intro), name=f"group-quiz-{chat_id}"
        )
        self._tasks[chat_id] = task
        task.add_done_callback(lambda _: self._forget(chat_id, task))

    async def aclose(self) -> None:
        """Cancel every unfinished run and wait until they have stopped."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _say(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Send a reply from a run; failures are only logged."""
    try:
        await render.send_replies(bot, chat_id, [reply])
    except Exception as exc:  # a background task: nobody else would log it
        log.warning("could not post to chat %s: %s", chat_id, exc)


def group_quizzes_of(bot_data: Any) -> GroupQuizzes:
    """The GroupQuizzes registered on an application."""
    quizzes = bot_data[GROUP_QUIZZES]
    assert isinstance(quizzes, GroupQuizzes)
    return quizzes
