"""The quiz engine: attempts, scoring, classes and group polls over the Store.

Every step is one committed write transaction (BEGIN IMMEDIATE on SQLite), so an answer the
user saw acknowledged survives a restart, and concurrent taps of one button count once.
Results hold no user ids: class results are anonymous, group leaderboards show first names.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.quizzes import repo, waiting
from bot.quizzes.models import (
    CLASS_CODE_LENGTH,
    CODE_ALPHABET,
    AlreadyAnswered,
    AlreadyFinished,
    AnswerOutcome,
    AnswerResult,
    ClassClosed,
    ClassInfo,
    ClassResults,
    Expired,
    Missed,
    MissedQuestion,
    NextOutcome,
    NotAllowed,
    Progress,
    QuestionStep,
    Quiz,
    StartResult,
    Summary,
    UnknownQuiz,
    quiz_payload,
)
from bot.storage.schema import FIRST_NAME_MAX_CHARS
from bot.storage.store import StorageError, Store

CODE_TRIES = 10
MOST_MISSED = 3
# A vote in an unknown poll is linked only to runs started this recently (no quiz runs longer).
LINK_RUNS_STARTED_WITHIN = timedelta(hours=1)


def new_code() -> str:
    """A random class code: CLASS_CODE_LENGTH characters of [A-Za-z0-9] from `secrets`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CLASS_CODE_LENGTH))


class QuizEngine:
    """Quiz rules over the Store; returns plain dataclasses from bot.quizzes.models."""

    def __init__(
        self,
        quizzes: dict[str, Quiz],
        store: Store,
        *,
        code_factory: Callable[[], str] = new_code,
    ) -> None:
        """Serve `quizzes` (by id) from `store`; `code_factory` makes class codes."""
        self.quizzes = quizzes
        self.store = store
        self.code_factory = code_factory

    # --- one user's attempt ----------------------------------------------------------------

    async def start(
        self, user_id: int, quiz_id: str, class_code: str | None = None
    ) -> StartResult:
        """Start a quiz, or resume the user's unfinished attempt at its current question."""
        quiz = self.quizzes.get(quiz_id)
        if quiz is None:
            return UnknownQuiz(quiz_id)
        try:
            async with repo.writing(self.store) as conn:
                return await self._start(conn, quiz, user_id, class_code)
        except repo.Conflict:  # a concurrent tap created the class attempt first: resume it
            async with repo.writing(self.store) as conn:
                return await self._start(conn, quiz, user_id, class_code)

    async def _start(
        self, conn: AsyncConnection, quiz: Quiz, user_id: int, class_code: str | None
    ) -> StartResult:
        """Start or resume inside one transaction."""
        if class_code is None:
            attempt = await repo.open_attempt(conn, user_id, quiz.id)
        else:
            row = await repo.get_class(conn, class_code)
            if row is None or row.quiz_id != quiz.id:
                return ClassClosed(quiz.id, quiz.title)
            attempt = await repo.class_attempt(conn, class_code, user_id)
            if attempt is not None and attempt.finished:
                return AlreadyFinished(quiz.id, quiz.title, attempt.score, len(quiz.questions))
            if row.closed:
                return ClassClosed(quiz.id, quiz.title)
        if attempt is None:
            attempt = await repo.insert_attempt(conn, user_id, quiz.id, class_code)
            return _step(quiz, attempt, attempt.position)
        return await self._resume(conn, quiz, attempt)

    async def _resume(
        self, conn: AsyncConnection, quiz: Quiz, attempt: repo.Attempt
    ) -> StartResult:
        """The current question; if it is answered already, move on as Next would."""
        position = attempt.position
        if position < len(quiz.questions) and await repo.is_answered(conn, attempt.id, position):
            position += 1
        if position >= len(quiz.questions):
            await repo.move(conn, attempt.id, position, finish=True)
            return await _summary(conn, quiz, attempt)
        if position != attempt.position:
            await repo.move(conn, attempt.id, position, finish=False)
        return _step(quiz, attempt, position, resumed=True)

    async def answer(
        self, user_id: int, attempt_id: int, question_index: int, option: int
    ) -> AnswerOutcome:
        """Score an answer to the current question; a second answer does not count."""
        try:
            async with repo.writing(self.store) as conn:
                return await self._answer(conn, user_id, attempt_id, question_index, option)
        except repo.Conflict:  # a concurrent tap stored its answer first
            return AlreadyAnswered()

    async def _answer(
        self, conn: AsyncConnection, user_id: int, attempt_id: int, index: int, option: int
    ) -> AnswerOutcome:
        """Check and store one answer inside one transaction."""
        loaded = await self._load(conn, user_id, attempt_id)
        if not isinstance(loaded, tuple):
            return loaded
        attempt, quiz = loaded
        if not 0 <= index < len(quiz.questions):
            return Expired()
        question = quiz.questions[index]
        if not 0 <= option < len(question.options):
            return Expired()
        stored = await repo.answered_option(conn, attempt.id, index)
        if stored is not None:
            if index != attempt.position:  # a button of an earlier question: nothing to show
                return AlreadyAnswered()
            # Still the current question: the verdict may have been lost (a crash between the
            # commit and the reply), so show it again and let the user go on with Next.
            return AlreadyAnswered(_verdict(quiz, attempt, index, stored, attempt.score))
        if index != attempt.position:
            return Expired()
        correct = option == question.answer
        await repo.insert_answer(conn, attempt, index, option, correct)
        return _verdict(quiz, attempt, index, option, attempt.score + int(correct))

    async def next(self, user_id: int, attempt_id: int, question_index: int) -> NextOutcome:
        """After an answer: the next question, or the summary (and the attempt is finished)."""
        async with repo.writing(self.store) as conn:
            repeated = await self._next_again(conn, user_id, attempt_id, question_index)
            if repeated is not None:
                return repeated
            loaded = await self._load(conn, user_id, attempt_id)
            if not isinstance(loaded, tuple):
                return loaded
            attempt, quiz = loaded
            answered = await repo.is_answered(conn, attempt.id, question_index)
            if question_index != attempt.position or not answered:
                return Expired()
            position = question_index + 1
            finish = position >= len(quiz.questions)
            await repo.move(conn, attempt.id, position, finish=finish)
            if finish:
                return await _summary(conn, quiz, attempt)
            return _step(quiz, attempt, position)

    async def _next_again(
        self, conn: AsyncConnection, user_id: int, attempt_id: int, question_index: int
    ) -> QuestionStep | Summary | None:
        """The same answer to a Next press handled already (Telegram delivered it again, or
        a replica died before its reply went out): the question or summary it moved to."""
        attempt = await repo.get_attempt(conn, attempt_id)
        if attempt is None or attempt.user_id != user_id:
            return None
        quiz = self.quizzes.get(attempt.quiz_id)
        if quiz is None or attempt.position != question_index + 1:
            return None
        if attempt.finished:
            return (
                await _summary(conn, quiz, attempt)
                if attempt.position == len(quiz.questions)
                else None
            )
        if await repo.is_answered(conn, attempt.id, attempt.position):
            return None  # the user has moved on since
        return _step(quiz, attempt, attempt.position)

    async def _load(
        self, conn: AsyncConnection, user_id: int, attempt_id: int
    ) -> tuple[repo.Attempt, Quiz] | Expired | ClassClosed:
        """The user's unfinished attempt and its quiz, or why a button on it is no good."""
        attempt = await repo.get_attempt(conn, attempt_id)
        if attempt is None or attempt.user_id != user_id or attempt.finished:
            return Expired()
        quiz = self.quizzes.get(attempt.quiz_id)
        if quiz is None:
            return Expired()
        if attempt.class_code is not None:
            row = await repo.get_class(conn, attempt.class_code)
            if row is None or row.closed:
                return ClassClosed(quiz.id, quiz.title)
        return attempt, quiz

    # --- classes -----------------------------------------------------------------------------

    async def create_class(self, creator_id: int, quiz_id: str) -> str:
        """Create a class for a quiz and return its code (KeyError for an unknown quiz)."""
        quiz = self.quizzes[quiz_id]
        for _ in range(CODE_TRIES):
            code = self.code_factory()
            quiz_payload(quiz.id, code)  # asserts that the deep link fits
            try:
                async with repo.writing(self.store) as conn:
                    if await repo.code_in_use(conn, code):
                        continue
                    await repo.insert_class(conn, code, quiz.id, creator_id)
                return code
            except repo.Conflict:  # a concurrent creation took the same code
                continue
        raise StorageError(f"no free class code after {CODE_TRIES} tries")

    async def classes(self, creator_id: int) -> list[ClassInfo]:
        """The creator's classes, newest first."""
        async with repo.reading(self.store) as conn:
            rows = await repo.classes_of(conn, creator_id)
        return [
            ClassInfo(
                row.code, row.quiz_id, self._title(row.quiz_id), row.created_at, row.closed, n
            )
            for row, n in rows
        ]

    async def close_class(self, code: str, requester_id: int) -> ClassClosed | NotAllowed:
        """Close a class: only its creator may; unknown codes are NotAllowed too."""
        async with repo.writing(self.store) as conn:
            row = await repo.get_class(conn, code)
            if row is None or row.creator_id != requester_id:
                return NotAllowed()
            await repo.close_class(conn, code)
        return ClassClosed(row.quiz_id, self._title(row.quiz_id))

    async def results(self, code: str, requester_id: int) -> ClassResults | NotAllowed:
        """Anonymous figures of a class for its creator; NotAllowed for anyone else."""
        async with repo.reading(self.store) as conn:
            row = await repo.get_class(conn, code)
            if row is None or row.creator_id != requester_id:
                return NotAllowed()
            attempts, marks = await repo.class_answers(conn, code)
        quiz = self.quizzes.get(row.quiz_id)
        if quiz is None:
            return NotAllowed()
        return class_results(quiz, code, row.closed, attempts, marks)

    def _title(self, quiz_id: str) -> str:
        """The title of a quiz, or its id when it is no longer loaded."""
        quiz = self.quizzes.get(quiz_id)
        return quiz.title if quiz else quiz_id

    # --- group quizzes -----------------------------------------------------------------------

    async def start_group_run(
        self, chat_id: int, quiz_id: str, language: str | None = None
    ) -> int:
        """Start a group run of a quiz (KeyError for an unknown quiz); returns the run id."""
        quiz = self.quizzes[quiz_id]
        async with repo.writing(self.store) as conn:
            return await repo.insert_run(conn, chat_id, quiz.id, language)

    async def claim_group_step(self, run_id: int, index: int, due_in_s: float | None) -> bool:
        """Take step `index` of a run for this replica (the next due in `due_in_s` seconds,
        None after the last); False when another replica has taken it."""
        due = None if due_in_s is None else repo.now() + timedelta(seconds=due_in_s)
        async with repo.writing(self.store) as conn:
            return await repo.claim_step(conn, run_id, index, due)

    async def stalled_group_runs(self, stall_s: float, max_age_s: float) -> list[repo.Run]:
        """Runs whose next step is more than `stall_s` late (their replica stopped), at most
        `max_age_s` late (older ones are closed, not resumed)."""
        at = repo.now()
        since = at - timedelta(seconds=max_age_s)
        async with repo.reading(self.store) as conn:
            return await repo.stalled_runs(conn, at - timedelta(seconds=stall_s), since)

    async def poll_sent(
        self, run_id: int, question_index: int, poll_id: str, correct_option: int
    ) -> None:
        """Remember the Telegram poll sent for a question of a run, and count the votes that
        arrived before this record did."""
        poll = repo.Poll(poll_id, run_id, question_index, correct_option)
        async with repo.writing(self.store) as conn:
            await _count_waiting(conn, await repo.record_poll(conn, poll))
            # One step fewer without a record: votes that could not be placed may be now.
            for waiting_id, voter, voted_at in await waiting.waiting_polls(conn):
                linked = await self._link(conn, waiting_id, voter, voted_at)
                if linked is not None:
                    await _count_waiting(conn, linked)

    async def poll_answer(
        self, poll_id: str, user_id: int, first_name: str, option_ids: Sequence[int]
    ) -> bool:
        """Count a user's first vote in a poll; retracted votes and repeats are ignored.

        A vote in a poll with no record yet waits (its replica posted the poll and has not
        recorded it, or died before it could) and is counted once the poll is linked to its run.
        """
        if not option_ids:
            return False
        name = first_name.strip()[:FIRST_NAME_MAX_CHARS] or "?"
        try:
            async with repo.writing(self.store) as conn:
                poll = await repo.get_poll(conn, poll_id)
                if poll is None:
                    await waiting.insert_pending_vote(conn, poll_id, user_id, name, option_ids[0])
                    poll = await self._link(conn, poll_id, user_id, repo.now())
                    return poll is not None and user_id in await _count_waiting(conn, poll)
                if await repo.has_vote(conn, poll_id, user_id):
                    return False
                correct = option_ids[0] == poll.correct_option
                await repo.insert_vote(conn, poll_id, user_id, name, correct)
        except repo.Conflict:  # a concurrent update carried the same vote
            return False
        return True

    async def _link(
        self, conn: AsyncConnection, poll_id: str, user_id: int, voted_at: datetime
    ) -> repo.Poll | None:
        """Record an unknown poll as the one step of an open run posted without a record (a
        run that began before its first vote); when several runs have one, the run this user
        voted in before; None when it stays unclear."""
        since = voted_at - LINK_RUNS_STARTED_WITHIN
        found = await waiting.unrecorded_steps(conn, since, voted_at)
        steps = [s for s in found if self._is_question(s)]
        if len(steps) > 1:
            steps = [s for s in steps if user_id in await waiting.run_voters(conn, s.run_id)]
        if len(steps) != 1:
            return None
        step = steps[0]
        answer = self.quizzes[step.quiz_id].questions[step.question_index].answer
        return await repo.record_poll(
            conn, repo.Poll(poll_id, step.run_id, step.question_index, answer)
        )

    def _is_question(self, step: waiting.Step) -> bool:
        """Whether a step is a loaded quiz's question (not its leaderboard, not a lost quiz)."""
        quiz = self.quizzes.get(step.quiz_id)
        return quiz is not None and step.question_index < len(quiz.questions)

    async def leaderboard(self, run_id: int) -> list[tuple[str, int]]:
        """(first name, correct answers) of every voter of a run, best first."""
        async with repo.reading(self.store) as conn:
            return list(await repo.tally(conn, run_id))

    async def finish_group_run(self, run_id: int) -> list[tuple[str, int]]:
        """Mark a run finished and return its leaderboard."""
        async with repo.writing(self.store) as conn:
            await repo.finish_run(conn, run_id)
        return await self.leaderboard(run_id)


async def _count_waiting(conn: AsyncConnection, poll: repo.Poll) -> set[int]:
    """Count the votes that waited for this poll's record; returns their users."""
    votes = await waiting.take_pending_votes(conn, poll.poll_id)
    for user_id, name, option in votes:
        correct = option == poll.correct_option
        await waiting.insert_vote_once(conn, poll.poll_id, user_id, name, correct)
    return {user_id for user_id, _, _ in votes}


def _step(quiz: Quiz, attempt: repo.Attempt, index: int, *, resumed: bool = False) -> QuestionStep:
    """The question at `index` of an attempt."""
    question = quiz.questions[index]
    return QuestionStep(
        attempt.id,
        quiz.id,
        quiz.title,
        index,
        len(quiz.questions),
        question.prompt,
        question.options,
        attempt.score,
        resumed,
    )


async def _summary(conn: AsyncConnection, quiz: Quiz, attempt: repo.Attempt) -> Summary:
    """The score and missed questions of a finished attempt."""
    marks = await repo.correct_by_question(conn, attempt.id)
    missed = tuple(
        Missed(i, q.prompt, q.options[q.answer], q.explanation, q.entry)
        for i, q in enumerate(quiz.questions)
        if not marks.get(i, False)
    )
    return Summary(
        attempt.id,
        quiz.id,
        quiz.title,
        attempt.score,
        len(quiz.questions),
        missed,
        attempt.class_code,
    )


def class_results(
    quiz: Quiz,
    code: str,
    closed: bool,
    attempts: list[tuple[int, int, bool]],
    marks: list[tuple[int, int, bool]],
) -> ClassResults:
    """Figures over the finished attempts: (id, score, finished) and (id, question, correct)."""
    total = len(quiz.questions)
    scores = {attempt_id: score for attempt_id, score, finished in attempts if finished}
    participants = len(scores)
    distribution = [0] * (total + 1)
    for score in scores.values():
        distribution[min(score, total)] += 1
    right = [0] * total
    for attempt_id, index, correct in marks:
        if attempt_id in scores and correct and index < total:
            right[index] += 1
    share = tuple(n / participants if participants else 0.0 for n in right)
    average = sum(scores.values()) / participants if participants else None
    return ClassResults(
        code,
        quiz.id,
        quiz.title,
        closed,
        participants,
        len(attempts) - participants,
        total,
        average,
        tuple(distribution),
        share,
        _most_missed(quiz, share) if participants else (),
    )


def _most_missed(quiz: Quiz, share: tuple[float, ...]) -> tuple[MissedQuestion, ...]:
    """Up to MOST_MISSED questions not everyone got right, lowest share first."""
    order = sorted((s, i) for i, s in enumerate(share) if s < 1.0)[:MOST_MISSED]
    return tuple(
        MissedQuestion(
            i,
            quiz.questions[i].prompt,
            quiz.questions[i].options[quiz.questions[i].answer],
            quiz.questions[i].explanation,
            s,
        )
        for s, i in order
    )


def _verdict(
    quiz: Quiz, attempt: repo.Attempt, index: int, option: int, score: int
) -> AnswerResult:
    """The verdict on the answer `option` to question `index`, with the score after it."""
    question = quiz.questions[index]
    return AnswerResult(
        attempt.id,
        index,
        question.prompt,
        option == question.answer,
        question.answer,
        question.options[question.answer],
        question.explanation,
        question.entry,
        Progress(index + 1, len(quiz.questions), score),
    )
