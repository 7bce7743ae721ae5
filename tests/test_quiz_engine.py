"""The quiz engine over a real SQLite store: scoring, resume, double taps, classes, groups."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.ext.asyncio import create_async_engine

from bot.quizzes.charts import results_chart_png
from bot.quizzes.engine import QuizEngine, class_results
from bot.quizzes.models import (
    AlreadyAnswered,
    AlreadyFinished,
    AnswerResult,
    ClassClosed,
    ClassResults,
    Expired,
    Missed,
    MissedQuestion,
    NotAllowed,
    Progress,
    QuestionStep,
    Quiz,
    QuizQuestion,
    Summary,
    UnknownQuiz,
    quiz_payload,
)
from bot.quizzes.qr import QR_BORDER, QR_SCALE, qr_png
from bot.storage import schema
from bot.storage.store import Store

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Telegram-sized ids, so that a leak into a result object is easy to spot.
MEI, LI, ANA, BO, CY, TEACHER = (9_000_000_001 + i for i in range(6))


OPTIONS = ("Option A", "Option B", "Option C")


def question(n: int, answer: int) -> QuizQuestion:
    return QuizQuestion(f"Question {n}?", OPTIONS, answer, f"Because {n}.", "task-scam")


DEMO = Quiz("demo", "Demo quiz", "A demo.", (question(1, 1), question(2, 1), question(3, 0)))
OTHER = Quiz("other", "Other quiz", "Another.", (question(1, 0),))


def url_for(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "quiz.sqlite3"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A store on SQLite, then on a real PostgreSQL server."""
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


@pytest.fixture
def engine(store: Store) -> QuizEngine:
    return QuizEngine({"demo": DEMO, "other": OTHER}, store)


async def count(store: Store, table: sa.Table, *where: sa.ColumnElement[bool]) -> int:
    async with store.engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(table).where(*where)
        return int((await conn.execute(stmt)).scalar_one())


async def take(
    engine: QuizEngine, user: int, options: list[int], code: str | None = None
) -> Summary:
    """Answer every question with the given options and press Next each time."""
    step = await engine.start(user, "demo", code)
    assert isinstance(step, QuestionStep)
    result: object = step
    for index, option in enumerate(options):
        assert isinstance(await engine.answer(user, step.attempt_id, index, option), AnswerResult)
        result = await engine.next(user, step.attempt_id, index)
    assert isinstance(result, Summary)
    return result


# --- one user's attempt ------------------------------------------------------------------------


async def test_scoring_and_summary(engine: QuizEngine) -> None:
    step = await engine.start(MEI, "demo")
    assert step == QuestionStep(
        step.attempt_id, "demo", "Demo quiz", 0, 3, "Question 1?", DEMO.questions[0].options, 0
    )
    first = await engine.answer(MEI, step.attempt_id, 0, 1)
    assert first == AnswerResult(
        step.attempt_id, 0, "Question 1?", True, 1, "Option B", "Because 1.", "task-scam",
        Progress(1, 3, 1),
    )  # fmt: skip
    assert str(first.progress) == "1/3"
    second_step = await engine.next(MEI, step.attempt_id, 0)
    assert isinstance(second_step, QuestionStep) and second_step.index == 1
    second = await engine.answer(MEI, step.attempt_id, 1, 2)
    assert isinstance(second, AnswerResult)
    assert (second.correct, second.correct_option, second.progress) == (
        False,
        1,
        Progress(2, 3, 1),
    )
    await engine.next(MEI, step.attempt_id, 1)
    assert isinstance(await engine.answer(MEI, step.attempt_id, 2, 0), AnswerResult)
    summary = await engine.next(MEI, step.attempt_id, 2)
    assert summary == Summary(
        step.attempt_id,
        "demo",
        "Demo quiz",
        2,
        3,
        (Missed(1, "Question 2?", "Option B", "Because 2.", "task-scam"),),
    )
    # The last Next delivered again (a replica died before its reply): the same summary.
    assert await engine.next(MEI, step.attempt_id, 2) == summary
    assert isinstance(await engine.next(MEI, step.attempt_id, 1), Expired)  # long gone


async def test_a_next_delivered_again_shows_the_same_question(engine: QuizEngine) -> None:
    step = await engine.start(MEI, "demo")
    assert isinstance(step, QuestionStep)
    await engine.answer(MEI, step.attempt_id, 0, 0)
    second = await engine.next(MEI, step.attempt_id, 0)
    assert isinstance(second, QuestionStep) and second.index == 1
    assert await engine.next(MEI, step.attempt_id, 0) == second  # handled again: same step
    await engine.answer(MEI, step.attempt_id, 1, 0)
    assert isinstance(await engine.next(MEI, step.attempt_id, 0), Expired)  # moved on since
    assert await engine.next(MEI, 999, 0) == Expired()  # no such attempt


async def test_unknown_quiz(engine: QuizEngine) -> None:
    assert await engine.start(MEI, "nope") == UnknownQuiz("nope")


async def test_a_finished_quiz_can_be_retaken_from_scratch(engine: QuizEngine) -> None:
    first = await take(engine, MEI, [1, 1, 0])
    again = await engine.start(MEI, "demo")
    assert isinstance(again, QuestionStep)
    assert (again.index, again.score, again.resumed) == (0, 0, False)
    assert again.attempt_id != first.attempt_id


async def test_resume_after_a_restart(database_url: str) -> None:
    async with await Store.open(database_url) as store:
        engine = QuizEngine({"demo": DEMO}, store)
        step = await engine.start(MEI, "demo")
        assert isinstance(step, QuestionStep)
        await engine.answer(MEI, step.attempt_id, 0, 1)
        await engine.next(MEI, step.attempt_id, 0)
    async with await Store.open(database_url) as store:  # a new process, a new engine
        engine = QuizEngine({"demo": DEMO}, store)
        resumed = await engine.start(MEI, "demo")
        assert isinstance(resumed, QuestionStep)
        assert (resumed.attempt_id, resumed.index, resumed.score) == (step.attempt_id, 1, 1)
        assert resumed.resumed
        result = await engine.answer(MEI, step.attempt_id, 1, 1)
        assert isinstance(result, AnswerResult) and result.progress == Progress(2, 3, 2)


async def test_resume_after_an_answer_without_next_moves_on(engine: QuizEngine) -> None:
    step = await engine.start(MEI, "demo")
    assert isinstance(step, QuestionStep)
    await engine.answer(MEI, step.attempt_id, 0, 0)
    resumed = await engine.start(MEI, "demo")
    assert isinstance(resumed, QuestionStep)
    assert (resumed.attempt_id, resumed.index, resumed.score) == (step.attempt_id, 1, 0)
    # The old verdict's Next (or that press delivered again) shows where the attempt is now.
    assert await engine.next(MEI, step.attempt_id, 0) == replace(resumed, resumed=False)


async def test_a_double_tap_counts_once(engine: QuizEngine, store: Store) -> None:
    step = await engine.start(MEI, "demo")
    assert isinstance(step, QuestionStep)
    first = await engine.answer(MEI, step.attempt_id, 0, 1)
    assert isinstance(first, AnswerResult)
    # Until Next, a second tap shows the stored verdict again, whatever option it names.
    assert await engine.answer(MEI, step.attempt_id, 0, 1) == AlreadyAnswered(first)
    assert await engine.answer(MEI, step.attempt_id, 0, 0) == AlreadyAnswered(first)
    assert await count(store, schema.quiz_answers) == 1
    summary = await engine.next(MEI, step.attempt_id, 0)
    assert isinstance(summary, QuestionStep) and summary.score == 1


@pytest.mark.parametrize("options", [[1] * 20, [i % 3 for i in range(20)]])
async def test_twenty_concurrent_taps_count_once(
    engine: QuizEngine, store: Store, options: list[int]
) -> None:
    step = await engine.start(MEI, "demo")
    assert isinstance(step, QuestionStep)
    results = await asyncio.gather(
        *(engine.answer(MEI, step.attempt_id, 0, option) for option in options)
    )
    assert sum(isinstance(r, AnswerResult) for r in results) == 1
    assert sum(isinstance(r, AlreadyAnswered) for r in results) == 19
    assert await count(store, schema.quiz_answers) == 1
    [verdict] = [r for r in results if isinstance(r, AnswerResult)]
    nexts = await asyncio.gather(*(engine.next(MEI, step.attempt_id, 0) for _ in range(20)))
    # The attempt moves on once; every tap (or re-delivery) is shown the question it moved to.
    assert {(n.index if isinstance(n, QuestionStep) else None) for n in nexts} == {1}
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.select(schema.quiz_attempts))).one()
    assert (row.score, row.position) == (int(verdict.correct), 1)


async def test_concurrent_starts_of_a_class_make_one_attempt(
    engine: QuizEngine, store: Store
) -> None:
    code = await engine.create_class(TEACHER, "demo")
    steps = await asyncio.gather(*(engine.start(MEI, "demo", code) for _ in range(10)))
    assert all(isinstance(s, QuestionStep) for s in steps)
    assert len({s.attempt_id for s in steps if isinstance(s, QuestionStep)}) == 1
    assert await count(store, schema.quiz_attempts) == 1


async def test_stale_and_forged_buttons_expire(engine: QuizEngine) -> None:
    step = await engine.start(MEI, "demo")
    assert isinstance(step, QuestionStep)
    aid = step.attempt_id
    assert isinstance(await engine.answer(MEI, aid, 1, 0), Expired)  # not the current question
    assert isinstance(await engine.answer(MEI, aid, 7, 0), Expired)  # no such question
    assert isinstance(await engine.answer(MEI, aid, 0, 3), Expired)  # no such option
    assert isinstance(await engine.answer(LI, aid, 0, 1), Expired)  # someone else's attempt
    assert isinstance(await engine.answer(MEI, aid + 1000, 0, 1), Expired)  # forged id
    assert isinstance(await engine.next(MEI, aid, 0), Expired)  # Next before answering
    assert isinstance(await engine.answer(MEI, aid, 0, 1), AnswerResult)
    assert isinstance(await engine.next(LI, aid, 0), Expired)
    assert isinstance(await engine.next(MEI, aid, 1), Expired)
    moved = await engine.next(MEI, aid, 0)
    assert isinstance(moved, QuestionStep) and moved.index == 1
    assert await engine.next(MEI, aid, 0) == moved  # a second Next: the same question again
    assert await engine.answer(MEI, aid, 0, 1) == AlreadyAnswered()  # an old question


async def test_attempts_of_a_quiz_that_was_removed_expire(store: Store) -> None:
    step = await QuizEngine({"demo": DEMO}, store).start(MEI, "demo")
    assert isinstance(step, QuestionStep)
    assert isinstance(await QuizEngine({}, store).answer(MEI, step.attempt_id, 0, 1), Expired)


# --- classes ---------------------------------------------------------------------------------


async def test_class_codes_and_payloads(store: Store) -> None:
    long_id = "q" * 30
    quiz = Quiz(long_id, "Long", "Long id.", (question(1, 0),))
    engine = QuizEngine({long_id: quiz}, store)
    codes = [await engine.create_class(TEACHER, long_id) for _ in range(20)]
    assert len(set(codes)) == 20
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9]{8}", code)
        payload = quiz_payload(long_id, code)
        assert payload == f"quiz-{long_id}-{code}" and len(payload) <= 64
    with pytest.raises(AssertionError):
        quiz_payload("q" * 60, codes[0])
    with pytest.raises(KeyError):
        await engine.create_class(TEACHER, "nope")


async def test_class_code_collisions_are_retried(store: Store) -> None:
    codes = iter(["AAAAAAAA", "AAAAAAAA", "AAAAAAAA", "BBBBBBBB"])
    engine = QuizEngine({"demo": DEMO}, store, code_factory=lambda: next(codes))
    assert await engine.create_class(TEACHER, "demo") == "AAAAAAAA"
    assert await engine.create_class(TEACHER, "demo") == "BBBBBBBB"


async def test_one_attempt_per_class_and_user(engine: QuizEngine) -> None:
    code = await engine.create_class(TEACHER, "demo")
    step = await engine.start(MEI, "demo", code)
    assert isinstance(step, QuestionStep)
    summary = await take(engine, MEI, [1, 0, 0], code)  # resumes the same attempt
    assert (summary.attempt_id, summary.class_code) == (step.attempt_id, code)
    assert await engine.start(MEI, "demo", code) == AlreadyFinished("demo", "Demo quiz", 2, 3)
    practice = await engine.start(MEI, "demo")  # the same quiz outside the class is separate
    assert isinstance(practice, QuestionStep) and practice.attempt_id != step.attempt_id


async def test_class_attempts_are_unique_in_the_database_but_practice_ones_are_not(
    engine: QuizEngine, store: Store
) -> None:
    await take(engine, MEI, [0, 0, 0])
    await take(engine, MEI, [0, 0, 0])
    assert await count(store, schema.quiz_attempts, schema.quiz_attempts.c.user_id == MEI) == 2
    code = await engine.create_class(TEACHER, "demo")
    await engine.start(MEI, "demo", code)
    row = {"user_id": MEI, "quiz_id": "demo", "class_code": code, "position": 0, "score": 0}
    with pytest.raises(sa.exc.IntegrityError):
        async with store.writer.begin() as conn:
            await conn.execute(
                sa.insert(schema.quiz_attempts).values(**row, started_at=datetime.now(UTC))
            )


async def test_closed_classes(engine: QuizEngine) -> None:
    code = await engine.create_class(TEACHER, "demo")
    finished = await take(engine, LI, [1, 1, 1], code)
    step = await engine.start(MEI, "demo", code)
    assert isinstance(step, QuestionStep)
    assert await engine.close_class(code, MEI) == NotAllowed()
    assert await engine.close_class("ZZZZZZZZ", TEACHER) == NotAllowed()
    assert await engine.close_class(code, TEACHER) == ClassClosed("demo", "Demo quiz")
    closed = ClassClosed("demo", "Demo quiz")
    assert await engine.answer(MEI, step.attempt_id, 0, 1) == closed
    assert await engine.start(MEI, "demo", code) == closed
    assert await engine.start(ANA, "demo", code) == closed
    assert await engine.start(LI, "demo", code) == AlreadyFinished(
        "demo", "Demo quiz", finished.score, 3
    )
    assert await engine.start(ANA, "demo", "ZZZZZZZZ") == closed  # unknown code
    other = await engine.create_class(TEACHER, "other")
    assert await engine.start(ANA, "demo", other) == closed  # a class of another quiz
    [second, first] = await engine.classes(TEACHER)
    assert (first.code, first.closed, first.participants) == (code, True, 1)
    assert (second.code, second.closed, second.title) == (other, False, "Other quiz")
    assert await engine.classes(MEI) == []


async def test_class_results_on_a_hand_computed_example(engine: QuizEngine) -> None:
    code = await engine.create_class(TEACHER, "demo")  # answers are B, B, A
    await take(engine, MEI, [1, 1, 0], code)  # 3 right
    await take(engine, LI, [1, 0, 0], code)  # Q1, Q3 right: 2
    await take(engine, ANA, [0, 0, 1], code)  # 0
    await take(engine, BO, [1, 1, 1], code)  # Q1, Q2 right: 2
    step = await engine.start(CY, "demo", code)  # in progress: not counted
    assert isinstance(step, QuestionStep)
    await engine.answer(CY, step.attempt_id, 0, 2)
    await take(engine, MEI, [0, 0, 0])  # practice attempts do not count either

    results = await engine.results(code, TEACHER)
    # 4 finished, 1 in progress, 3 questions; average (3 + 2 + 0 + 2) / 4
    assert results == ClassResults(
        code, "demo", "Demo quiz", False, 4, 1, 3, 1.75, (1, 0, 2, 1), (0.75, 0.5, 0.5),
        (
            MissedQuestion(1, "Question 2?", "Option B", "Because 2.", 0.5),
            MissedQuestion(2, "Question 3?", "Option A", "Because 3.", 0.5),
            MissedQuestion(0, "Question 1?", "Option B", "Because 1.", 0.75),
        ),
    )  # fmt: skip
    for user in (MEI, LI, ANA, BO, CY, TEACHER):
        assert str(user) not in repr(results)
    assert await engine.results(code, MEI) == NotAllowed()
    assert await engine.results("ZZZZZZZZ", TEACHER) == NotAllowed()


def test_class_results_with_nobody_finished() -> None:
    results = class_results(DEMO, "AAAAAAAA", True, [(1, 0, False)], [(1, 0, True)])
    assert (results.participants, results.in_progress, results.average) == (0, 1, None)
    assert results.share_correct == (0.0, 0.0, 0.0) and results.most_missed == ()
    assert results.distribution == (0, 0, 0, 0)


# --- group quizzes ---------------------------------------------------------------------------


async def test_group_polls_tally_and_leaderboard(engine: QuizEngine, store: Store) -> None:
    run = await engine.start_group_run(-100123, "demo")
    for index, q in enumerate(DEMO.questions):
        await engine.poll_sent(run, index, f"poll-{index}", q.answer)
    assert await engine.poll_answer("poll-0", MEI, "Mei", [1])
    assert await engine.poll_answer("poll-1", MEI, "Mei", [1])
    assert await engine.poll_answer("poll-0", LI, "Li", [1])
    assert await engine.poll_answer("poll-1", LI, "Li", [0])
    assert await engine.poll_answer("poll-0", ANA, "Ana", [2])
    assert not await engine.poll_answer("poll-2", LI, "Li", [])  # retracted: ignored
    assert not await engine.poll_answer("poll-0", ANA, "Ana", [1])  # a second vote: ignored
    assert not await engine.poll_answer("unknown", BO, "Bo", [0])  # not our poll
    votes = await asyncio.gather(*(engine.poll_answer("poll-2", BO, "Bo", [0]) for _ in range(5)))
    assert votes.count(True) == 1
    board = await engine.leaderboard(run)
    assert board == [("Mei", 2), ("Bo", 1), ("Li", 1), ("Ana", 0)]
    assert await engine.finish_group_run(run) == board
    assert await count(store, schema.group_quiz_votes) == 6
    async with store.engine.connect() as conn:
        finished = (await conn.execute(sa.select(schema.group_quiz_runs.c.finished_at))).one()
    assert finished[0] is not None
    other_run = await engine.start_group_run(-100123, "other")
    assert await engine.leaderboard(other_run) == []


async def test_a_vote_that_overtakes_its_polls_record_is_counted_when_the_record_comes(
    engine: QuizEngine, store: Store
) -> None:
    run = await engine.start_group_run(-100123, "demo")
    assert await engine.claim_group_step(run, 0, 30)
    # Two runs have a step without a record (this one's poll is being recorded; the other's
    # replica is somewhere else): the vote cannot be placed, so it waits.
    other = await engine.start_group_run(-100999, "other")
    assert await engine.claim_group_step(other, 0, 30)
    assert not await engine.poll_answer("poll-0", MEI, "Mei", [1])
    assert await count(store, schema.group_quiz_votes) == 0
    await engine.poll_sent(run, 0, "poll-0", DEMO.questions[0].answer)
    await engine.poll_sent(run, 0, "poll-0", DEMO.questions[0].answer)  # recorded once
    assert await engine.leaderboard(run) == [("Mei", 1)]
    assert await count(store, schema.group_quiz_pending_votes) == 0
    assert not await engine.poll_answer("poll-0", MEI, "Mei", [0])  # still one vote each


async def test_votes_in_a_poll_whose_replica_died_before_recording_it_are_counted(
    engine: QuizEngine, store: Store
) -> None:
    run = await engine.start_group_run(-100123, "demo")
    assert await engine.claim_group_step(run, 0, 30)
    await engine.poll_sent(run, 0, "poll-0", DEMO.questions[0].answer)
    assert await engine.poll_answer("poll-0", LI, "Li", [1])
    assert await engine.claim_group_step(run, 1, 30)  # posted as "poll-1", never recorded
    finished = await engine.start_group_run(-100555, "other")
    assert await engine.claim_group_step(finished, 0, 30)
    await engine.finish_group_run(finished)  # a finished run's step is no candidate
    assert await engine.poll_answer("poll-1", MEI, "Mei", [1])  # the one step it can be
    assert await engine.poll_answer("poll-1", LI, "Li", [0])
    assert not await engine.poll_answer("poll-1", LI, "Li", [1])
    assert await engine.leaderboard(run) == [("Li", 1), ("Mei", 1)]
    # With two such steps the user's earlier votes tell the runs apart.
    second = await engine.start_group_run(-100777, "other")
    assert await engine.claim_group_step(second, 0, 30)
    assert await engine.claim_group_step(run, 2, 30)
    assert await engine.poll_answer("poll-2", LI, "Li", [0])
    assert await engine.leaderboard(run) == [("Li", 2), ("Mei", 1)]
    third = await engine.start_group_run(-100888, "other")
    assert await engine.claim_group_step(third, 0, 30)
    assert not await engine.poll_answer("poll-x", BO, "Bo", [0])  # in neither run: it waits
    assert await count(store, schema.group_quiz_pending_votes) == 1
    assert await store.prune(30, now=datetime.now(UTC) + timedelta(days=2)) == 0
    assert await count(store, schema.group_quiz_pending_votes) == 0


async def test_a_waiting_vote_is_placed_once_the_other_step_is_recorded(
    engine: QuizEngine, store: Store
) -> None:
    run = await engine.start_group_run(-100123, "demo")
    assert await engine.claim_group_step(run, 0, 30)  # posted as "lost-0", never recorded
    assert await engine.claim_group_step(run, 1, 30)  # the replica carrying it on: "poll-1"
    assert not await engine.poll_answer("lost-0", MEI, "Mei", [1])  # step 0 or 1: it waits
    await engine.poll_sent(run, 1, "poll-1", DEMO.questions[1].answer)
    assert await engine.leaderboard(run) == [("Mei", 1)]  # counted in step 0, correct there
    assert await count(store, schema.group_quiz_pending_votes) == 0


async def test_a_vote_older_than_a_run_is_never_placed_in_it(
    engine: QuizEngine, store: Store
) -> None:
    assert not await engine.poll_answer("stale", BO, "Bo", [0])  # no run at all: it waits
    later = await engine.start_group_run(-100123, "demo")
    assert await engine.claim_group_step(later, 0, 30)  # being posted: no record yet
    other = await engine.start_group_run(-100999, "other")
    assert await engine.claim_group_step(other, 0, 30)
    await engine.poll_sent(other, 0, "other-0", OTHER.questions[0].answer)  # retries "stale"
    assert await engine.leaderboard(later) == [] and await engine.leaderboard(other) == []
    assert await count(store, schema.group_quiz_pending_votes) == 1


# --- images ------------------------------------------------------------------------------------


def modules(png: bytes, size: int) -> Iterator[tuple[int, ...]]:
    """Read a QR PNG back into rows of dark (1) and light (0) modules."""
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == ((size + 2 * QR_BORDER) * QR_SCALE,) * 2
    for row in range(size):
        y = (row + QR_BORDER) * QR_SCALE + QR_SCALE // 2
        yield tuple(
            int(image.getpixel(((col + QR_BORDER) * QR_SCALE + QR_SCALE // 2, y)) < 128)
            for col in range(size)
        )


def test_qr_png_encodes_the_link() -> None:
    link = "https://t.me/ScamWiseBot?start=quiz-fake-jobs-Ab3dEf9h"
    png = qr_png(link)
    assert png.startswith(PNG_SIGNATURE)
    try:  # a real decoder, when one is installed
        from pyzbar.pyzbar import decode  # type: ignore[import-not-found]
    except ImportError:
        expected = segno.make(link, micro=False)
        assert not expected.is_micro
        matrix = tuple(tuple(row) for row in expected.matrix)
        assert tuple(modules(png, len(matrix))) == matrix
    else:
        assert decode(Image.open(io.BytesIO(png)))[0].data.decode() == link


def test_results_chart_is_a_png() -> None:
    results = class_results(
        DEMO, "AAAAAAAA", False, [(1, 2, True), (2, 1, True)], [(1, 0, True), (1, 1, True)]
    )
    png = results_chart_png(results)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size[0] >= 400


# --- migration ---------------------------------------------------------------------------------


async def test_a_version_1_database_gains_the_quiz_tables(database_url: str) -> None:
    from tests.legacy_schema import build

    await (await Store.open(database_url)).close()  # creates the SQLite file's folder
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:  # drop everything, then build version 1 the old way
        await conn.run_sync(lambda c: schema.metadata.drop_all(c))
        await conn.execute(sa.text("DROP TABLE alembic_version"))
        await conn.run_sync(lambda c: build(c, 1))
    await engine.dispose()
    async with await Store.open(database_url) as store:
        assert await store.schema_version() >= 2
        assert [r.entry_id for r in await store.feedback_summary()] == ["romance", "task-scam"]
        async with store.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
        assert {t.name for t in schema.QUIZ_TABLES} <= names
        assert isinstance(await QuizEngine({"demo": DEMO}, store).start(MEI, "demo"), QuestionStep)
