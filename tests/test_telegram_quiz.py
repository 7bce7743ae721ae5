"""Quizzes end to end through the real PTB Application on the offline Bot API, real database."""

from __future__ import annotations

import asyncio
import html
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import segno
import yaml
from PIL import Image

from bot.conversation import texts
from bot.conversation.replies import Who
from bot.errors import SettingsError
from bot.quizzes.qr import QR_BORDER, QR_SCALE
from bot.telegram import group_quiz
from bot.telegram.group_quiz import GroupQuizzes, group_quizzes_of
from tests.telegram_harness import (
    BOT_USERNAME,
    GROUP_ID,
    KNOWLEDGE,
    BotUnderTest,
    Call,
    Updates,
    chat,
    keyboard_data,
    started,
    telegram_settings,
)

STARTER: dict[str, Any] = yaml.safe_load(
    (KNOWLEDGE / "quizzes" / "starter.yaml").read_text(encoding="utf-8")
)
QUESTIONS: list[dict[str, Any]] = STARTER["questions"]
TOTAL = len(QUESTIONS)
QUIZ_LINK = f"https://t.me/{BOT_USERNAME}?start=quiz-starter"
SHARE_PREFIX = "https://t.me/share/url?url="
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
POLL_SECONDS = 7
# A quiz takes two taps per question; at machine speed they would hit the per-user flood limit
# (10 per 30 s by default), so these tests raise it.
TAPS = {"flood_limit": 1000}


@pytest.fixture
async def tg(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any, database_url: str
) -> AsyncIterator[BotUnderTest]:
    """The bot on SQLite, then on a real PostgreSQL server."""
    settings = telegram_settings(tmp_path, real_index_dir, database_url=database_url, **TAPS)
    async with started(settings, real_embedder) as bot:
        yield bot


# --- helpers ----------------------------------------------------------------------------------


def only(calls: list[Call], method: str = "sendMessage") -> Call:
    assert [c.method for c in calls] == [method], calls
    return calls[0]


def shown(call: Call) -> str:
    """The plain text of a sent or edited message, or of a photo caption."""
    marked = call.params.get("text") or call.params.get("caption") or ""
    return html.unescape(re.sub(r"<[^>]+>", "", marked))


def callback_data(call: Call) -> list[str]:
    return [b["callback_data"] for row in keyboard_data(call) for b in row if "callback_data" in b]


def url_buttons(call: Call) -> list[str]:
    return [b["url"] for row in keyboard_data(call) for b in row if "url" in b]


def pick(index: int, right: bool) -> int:
    """The right option of a question, or the next one round (a wrong one)."""
    answer: int = QUESTIONS[index]["answer"]
    return answer if right else (answer + 1) % len(QUESTIONS[index]["options"])


async def press(tg: BotUnderTest, who: Updates, call: Call, data: str) -> list[Call]:
    """`who` presses the button with callback `data` under the message that `call` showed."""
    assert data in callback_data(call), (data, callback_data(call))
    return await tg.send(who.callback(data, message=call.result))


async def answer_and_next(
    tg: BotUnderTest, who: Updates, question: Call, index: int, right: bool
) -> tuple[Call, Call]:
    """Answer question `index` and press Next: (the verdict, what replaced it)."""
    attempt = callback_data(question)[0].split(":")[1]
    answered, verdict = await press(
        tg, who, question, f"qa:{attempt}:{index}.{pick(index, right)}"
    )
    assert answered.method == "answerCallbackQuery" and verdict.method == "editMessageText"
    answered, following = await press(tg, who, verdict, f"qn:{attempt}:{index}")
    assert answered.method == "answerCallbackQuery" and following.method == "editMessageText"
    return verdict, following


async def take(
    tg: BotUnderTest, who: Updates, question: Call, wrong: set[int], start: int = 0
) -> Call:
    """Answer questions `start`… (wrongly at the indexes in `wrong`): the summary."""
    for index in range(start, TOTAL):
        _, question = await answer_and_next(tg, who, question, index, index not in wrong)
    assert shown(question).startswith("🏁"), shown(question)
    return question


def qr_matrix(png: bytes, size: int) -> list[list[bool]]:
    """The dark modules of a QR PNG drawn at QR_SCALE pixels per module inside QR_BORDER."""
    image = Image.open(io.BytesIO(png)).convert("L")
    side = size + 2 * QR_BORDER
    assert image.size == (side * QR_SCALE, side * QR_SCALE)
    modules = image.resize((side, side), Image.Resampling.NEAREST)  # one pixel per module
    dark = [[modules.getpixel((c, r)) < 128 for c in range(side)] for r in range(side)]
    assert not any(dark[0] + dark[-1])  # the quiet zone is white
    return [row[QR_BORDER : QR_BORDER + size] for row in dark[QR_BORDER : QR_BORDER + size]]


# --- one user in a private chat ---------------------------------------------------------------


async def test_deep_link_quiz_to_the_summary(tg: BotUnderTest) -> None:
    me = tg.updates
    wrong = {1, 4, 6}
    first = only(await tg.send(me.command("start", "quiz-starter")))
    assert f"· 1/{TOTAL}" in shown(first)
    attempt = callback_data(first)[0].split(":")[1]
    options = QUESTIONS[0]["options"]
    assert callback_data(first) == [f"qa:{attempt}:0.{i}" for i in range(len(options))]
    presses = 0
    current = first
    verdicts: list[Call] = []
    for index, question in enumerate(QUESTIONS):
        assert f"· {index + 1}/{TOTAL}" in shown(current)
        data = f"qa:{attempt}:{index}.{pick(index, index not in wrong)}"
        answered, verdict = await press(tg, me, current, data)
        presses += 1
        assert answered.params.get("text") is None  # answered, with no toast
        assert verdict.params["message_id"] == first.result["message_id"]
        verdict_text = shown(verdict)
        assert verdict_text.startswith(texts.QUIZ_WRONG if index in wrong else texts.QUIZ_CORRECT)
        assert " ".join(question["explanation"].split()) in verdict_text
        if index in {0, 1}:  # a double tap, and a second try with the right answer
            for again in (data, f"qa:{attempt}:{index}.{question['answer']}"):
                # Before Next, the stored verdict is shown again (the first may have been
                # lost); the second answer does not count.
                toast, same = await press(tg, me, current, again)
                presses += 1
                assert toast.params["text"] == texts.QUIZ_ALREADY_ANSWERED
                assert same.method == "editMessageText" and shown(same) == verdict_text
        if index == 2:  # Next under an earlier verdict has expired
            stale = only(
                await press(tg, me, verdicts[0], f"qn:{attempt}:0"), "answerCallbackQuery"
            )
            presses += 1
            assert stale.params["text"] == texts.EXPIRED
        verdicts.append(verdict)
        answered, current = await press(tg, me, verdict, f"qn:{attempt}:{index}")
        presses += 1
        assert current.method == "editMessageText"

    summary = shown(current)
    assert summary.startswith(
        texts.QUIZ_SCORE.format(title=STARTER["title"], score=TOTAL - len(wrong), total=TOTAL)
    )
    for index, question in enumerate(QUESTIONS):
        prompt = " ".join(question["prompt"].split())
        assert (f"Q{index + 1}. {prompt}" in summary) == (index in wrong)
    assert callback_data(current) == ["qs:starter"]
    [share] = url_buttons(current)
    assert share.startswith(SHARE_PREFIX)
    assert QUIZ_LINK in unquote(share.removeprefix(SHARE_PREFIX))
    # The attempt is over: its old buttons have expired.
    stale = only(await press(tg, me, first, f"qa:{attempt}:0.0"), "answerCallbackQuery")
    presses += 1
    assert stale.params["text"] == texts.EXPIRED
    ids = [c.params["callback_query_id"] for c in tg.request.of("answerCallbackQuery")]
    assert len(ids) == len(set(ids)) == presses


async def test_quiz_command_in_private_lists_and_starts(tg: BotUnderTest) -> None:
    listing = only(await tg.send(tg.updates.command("quiz")))
    assert "qs:starter" in callback_data(listing)
    question = only(await tg.send(tg.updates.command("quiz", "starter")))
    assert shown(question).startswith(f"🧠 {STARTER['title']} · 1/{TOTAL}")


async def test_a_quiz_survives_a_restart(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> None:
    settings = telegram_settings(tmp_path, real_index_dir, **TAPS)
    async with started(settings, real_embedder) as tg:
        first = only(await tg.send(tg.updates.command("start", "quiz-starter")))
        _, second = await answer_and_next(tg, tg.updates, first, 0, right=True)
        attempt = callback_data(second)[0].split(":")[1]
        _, verdict = await press(tg, tg.updates, second, f"qa:{attempt}:1.{pick(1, False)}")
        old_app = tg.app
    # A new application (new handlers, new Services) on the same database file.
    async with started(settings, real_embedder) as tg:
        assert tg.app is not old_app
        answered, third = await press(tg, tg.updates, verdict, f"qn:{attempt}:1")
        assert answered.params.get("text") is None
        assert f"· 3/{TOTAL}" in shown(third)
        summary = await take(tg, tg.updates, third, set(), start=2)
        assert shown(summary).startswith(
            texts.QUIZ_SCORE.format(title=STARTER["title"], score=TOTAL - 1, total=TOTAL)
        )


# --- classes ----------------------------------------------------------------------------------

TEACHER = 770_001
STUDENTS: dict[int, tuple[str, set[int]]] = {
    770_101: ("Anouk", set()),
    770_102: ("Bartek", {1, 4}),
    770_103: ("Chiara", {1, 4, 7, 9}),
}
# By hand: scores 10, 8 and 6; Q2 and Q5 right for 1 of 3, Q8 and Q10 for 2 of 3, others all.
RESULT_LINES = (
    "Finished: 3 · in progress: 0",
    "Average score: 8.0/10",
    "Scores: 10/10: 1 · 8/10: 1 · 6/10: 1",
    "Correct per question: Q1 100% · Q2 33% · Q3 100% · Q4 100% · Q5 33% · Q6 100% · "
    "Q7 100% · Q8 67% · Q9 100% · Q10 67%",
    "Most missed:",
)


async def test_a_class_from_qr_code_to_anonymous_results(tg: BotUnderTest) -> None:
    teacher = Updates(user_id=TEACHER, first_name="Tess")
    created = only(await tg.send(teacher.command("newclass", "starter")), "sendPhoto")
    caption = shown(created)
    found = re.search(rf"{re.escape(QUIZ_LINK)}-([A-Za-z0-9]{{8}})(?![A-Za-z0-9])", caption)
    assert found is not None, caption
    link, code = found[0], found[1]
    assert len(link.split("?start=")[1]) <= 64  # Telegram's deep-link payload limit
    [png] = created.files.values()
    assert png.startswith(PNG_SIGNATURE)
    expected = [[bool(m) for m in row] for row in segno.make(link, micro=False).matrix]
    assert qr_matrix(png, len(expected)) == expected

    for user_id, (name, wrong) in STUDENTS.items():
        student = Updates(user_id=user_id, first_name=name)
        first = only(await tg.send(student.command("start", f"quiz-starter-{code}")))
        summary = await take(tg, student, first, wrong)
        assert f"{TOTAL - len(wrong)}/{TOTAL}" in shown(summary)

    calls = await tg.send(teacher.command("results", code))
    charts = [c for c in calls if c.method == "sendPhoto"]
    assert len(charts) == 1 and next(iter(charts[0].files.values())).startswith(PNG_SIGNATURE)
    report = "\n".join(shown(c) for c in calls)
    for line in RESULT_LINES:
        assert line in report, (line, report)
    most_missed = report.split("Most missed:")[1]
    q2 = QUESTIONS[1]
    assert most_missed.lstrip().startswith(f"Q2 (33% correct). {' '.join(q2['prompt'].split())}")
    assert " ".join(q2["explanation"].split()) in most_missed
    everything = "\n".join(str(c.params) for c in calls)
    for user_id, (name, _) in STUDENTS.items():
        assert str(user_id) not in everything and name not in everything

    student = Updates(user_id=770_101, first_name="Anouk")
    refused = only(await tg.send(student.command("results", code)))
    assert shown(refused) == texts.RESULTS_NOT_ALLOWED

    listed = only(await tg.send(teacher.command("classes")))
    assert f"{code} — {STARTER['title']} — 3 finished — open" in shown(listed)
    closed = only(await tg.send(teacher.command("closeclass", code)))
    assert shown(closed) == texts.CLOSE_DONE.format(code=code, title=STARTER["title"])
    latecomer = Updates(user_id=770_199, first_name="Dara")
    kind = only(await tg.send(latecomer.command("start", f"quiz-starter-{code}")))
    assert shown(kind).startswith(texts.QUIZ_CLASS_CLOSED.format(title=STARTER["title"]))
    assert callback_data(kind) == ["qs:starter"]
    listed = only(await tg.send(teacher.command("classes")))
    assert f"{code} — {STARTER['title']} — 3 finished — closed" in shown(listed)


@pytest.mark.parametrize(
    "command", ["newclass starter", "results AbCd1234", "classes", "closeclass AbCd1234"]
)
async def test_class_commands_in_a_group_point_to_a_private_chat(
    tg: BotUnderTest, command: str
) -> None:
    name, _, args = command.partition(" ")
    for head in (name, f"{name}@{BOT_USERNAME}"):
        call = only(await tg.send(tg.updates.command(head, args, chat_id=GROUP_ID)))
        assert shown(call) == group_quiz.PRIVATE_ONLY
        assert url_buttons(call) == [f"https://t.me/{BOT_USERNAME}"]
    assert not tg.request.of("sendPhoto")


# --- group quizzes as polls -------------------------------------------------------------------


class Clock:
    """Stands in for group_quiz.sleep: each wait lasts until the test ends it."""

    def __init__(self) -> None:
        self.pauses: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self.pauses.put((seconds, done))
        await done

    async def paused(self) -> tuple[float, asyncio.Future[None]]:
        """Wait until the run waits; (how long it asked for, the future that ends the wait)."""
        return await asyncio.wait_for(self.pauses.get(), 10)


@pytest.fixture
async def group(
    tmp_path: Path,
    real_index_dir: Path,
    real_embedder: Any,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
) -> AsyncIterator[tuple[BotUnderTest, Clock]]:
    """A group-quiz bot with a controllable clock, on SQLite, then on PostgreSQL."""
    clock = Clock()
    monkeypatch.setattr(group_quiz, "sleep", clock.sleep)
    settings = telegram_settings(
        tmp_path, real_index_dir, group_quiz_seconds=POLL_SECONDS, database_url=database_url
    )
    async with started(settings, real_embedder) as bot:
        yield bot, clock


VOTERS = {"Anouk": 880_001, "Bartek": 880_002, "Chiara": 880_003}


async def test_a_group_quiz_runs_as_polls_then_a_leaderboard(
    group: tuple[BotUnderTest, Clock],
) -> None:
    tg, clock = group
    host = Updates(user_id=880_000, first_name="Host")
    voters = {name: Updates(user_id=uid, first_name=name) for name, uid in VOTERS.items()}
    command = host.command(f"quiz@{BOT_USERNAME}", "starter", chat_id=GROUP_ID)
    await tg.send(command)
    task = group_quizzes_of(tg.app.bot_data).task(GROUP_ID)
    assert task is not None
    for index, question in enumerate(QUESTIONS):
        seconds, resume = await clock.paused()
        assert seconds == POLL_SECONDS + (group_quiz.ANSWER_GRACE_S if index == TOTAL - 1 else 0)
        polls = tg.request.of("sendPoll")
        assert len(polls) == index + 1  # one at a time
        sent = polls[-1]
        params = sent.params
        assert params["chat_id"] == GROUP_ID and params["type"] == "quiz"
        assert params["is_anonymous"] is False and params["open_period"] == POLL_SECONDS
        assert params["correct_option_ids"] == [question["answer"]]
        assert [o["text"] for o in params["options"]] == question["options"]
        assert params["question"].endswith(" ".join(question["prompt"].split()))
        assert params["explanation"] == " ".join(question["explanation"].split())
        assert len(params["explanation"]) <= 200
        poll = sent.result["poll"]
        if index == 0:
            intro = tg.request.of("sendMessage")[0]
            assert (
                intro.params["reply_parameters"]["message_id"] == command["message"]["message_id"]
            )
            assert f"{TOTAL} questions" in shown(intro)
            busy = only(await tg.send(host.command("quiz", "starter", chat_id=GROUP_ID)))
            assert shown(busy) == group_quiz.ALREADY_RUNNING
        await vote(tg, voters, poll["id"], index)
        assert await tg.send(host.poll_state(poll)) == []
        resume.set_result(None)
    await asyncio.wait_for(task, 10)
    board = tg.request.of("sendMessage")[-1]
    assert (
        shown(board) == f"{texts.LEADERBOARD_TITLE}\n\n1. Anouk — 10\n2. Bartek — 9\n3. Chiara — 5"
    )
    assert not any(str(uid) in board.params["text"] for uid in VOTERS.values())
    assert group_quizzes_of(tg.app.bot_data).task(GROUP_ID) is None  # the chat is free again


async def vote(tg: BotUnderTest, voters: dict[str, Updates], poll_id: str, index: int) -> None:
    """Anouk: all right; Bartek: Q1 wrong, then changed (ignored); Chiara: Q1-Q5, retracts Q1."""
    right, wrong = pick(index, True), pick(index, False)
    ballots: list[tuple[str, list[int]]] = [("Anouk", [right])]
    ballots += [("Bartek", [wrong]), ("Bartek", [right])] if index == 0 else [("Bartek", [right])]
    if index < 5:
        ballots.append(("Chiara", [right]))
    if index == 0:
        ballots.append(("Chiara", []))
    for name, options in ballots:
        assert await tg.send(voters[name].poll_answer(poll_id, options)) == []
    admin = voters["Anouk"].poll_answer(poll_id, [right], voter_chat=chat(GROUP_ID))
    assert await tg.send(admin) == []
    assert await tg.send(voters["Chiara"].poll_answer("no-such-poll", [right])) == []


@pytest.mark.parametrize("args", ["", "no-such-quiz"])
async def test_group_quiz_without_a_known_id_lists_the_ids(
    group: tuple[BotUnderTest, Clock], args: str
) -> None:
    tg, _ = group
    call = only(await tg.send(tg.updates.command("quiz", args, chat_id=GROUP_ID)))
    assert shown(call).startswith("In a group I run quizzes as polls")
    for path in (KNOWLEDGE / "quizzes").glob("*.yaml"):
        assert path.stem in shown(call)
    assert not tg.request.of("sendPoll")


async def test_a_group_that_refuses_polls_gets_a_note(group: tuple[BotUnderTest, Clock]) -> None:
    tg, _ = group
    tg.request.fail_next("sendPoll", "400", why="Bad Request: not enough rights to send polls")
    await tg.send(tg.updates.command("quiz", "starter", chat_id=GROUP_ID))
    task = group_quizzes_of(tg.app.bot_data).task(GROUP_ID)
    assert task is not None
    await asyncio.wait_for(task, 10)
    intro, note = tg.request.of("sendMessage")
    assert f"{TOTAL} questions" in shown(intro)
    assert shown(note) == group_quiz.POLLS_FAILED  # and no empty leaderboard
    assert group_quizzes_of(tg.app.bot_data).task(GROUP_ID) is None


async def test_shutdown_cancels_a_running_group_quiz(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> None:
    clock = Clock()
    settings = telegram_settings(tmp_path, real_index_dir)

    async def run_then_shut_down() -> asyncio.Task[None]:
        async with started(settings, real_embedder) as tg:
            # The wait is injected through the constructor here (the module's sleep elsewhere).
            tg.app.bot_data[group_quiz.GROUP_QUIZZES] = GroupQuizzes(9, clock.sleep)
            await tg.send(tg.updates.command("quiz", "starter", chat_id=GROUP_ID))
            task = group_quizzes_of(tg.app.bot_data).task(GROUP_ID)
            assert task is not None
            seconds, _ = await clock.paused()  # never ended: only the shutdown stops this wait
            assert seconds == 9 and tg.request.of("sendPoll")[0].params["open_period"] == 9
            return task

    task = await asyncio.wait_for(run_then_shut_down(), 60)
    assert task.cancelled()


def test_the_poll_seconds_setting_is_strict(tmp_path: Path) -> None:
    assert telegram_settings(tmp_path, tmp_path).group_quiz_seconds == 30
    for bad in (0, 4, 601):
        with pytest.raises(SettingsError, match="SCAMWISE_GROUP_QUIZ_SECONDS"):
            telegram_settings(tmp_path, tmp_path, group_quiz_seconds=bad)


# --- a group quiz whose replica stopped is carried on ------------------------------------------


async def stalled_run(
    tg: BotUnderTest, chat_id: int, next_index: int, language: str | None = None
) -> int:
    """A run of the starter quiz left at `next_index` by a replica that stopped 10 s ago."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from bot.quizzes import repo
    from bot.storage import schema
    from bot.telegram.handlers import SERVICES

    store = tg.app.bot_data[SERVICES].store
    async with repo.writing(store) as conn:
        run_id = await repo.insert_run(conn, chat_id, "starter", language)
        late = datetime.now(UTC) - timedelta(seconds=10)
        runs = schema.group_quiz_runs
        stmt = sa.update(runs).where(runs.c.id == run_id)
        await conn.execute(stmt.values(next_index=next_index, next_at=late))
    return run_id


async def adopt(tg: BotUnderTest) -> int:
    """What the leading replica's takeover job does each round."""
    from bot.telegram.handlers import SERVICES

    conversation = tg.app.bot_data[SERVICES].conversation
    return await group_quizzes_of(tg.app.bot_data).adopt(tg.app.bot, conversation)


async def test_a_stopped_replicas_group_quiz_is_carried_on_from_its_step(
    group: tuple[BotUnderTest, Clock],
) -> None:
    tg, clock = group
    await stalled_run(tg, GROUP_ID, 3)  # polls 1-3 were posted by the replica that stopped
    assert await adopt(tg) == 1
    assert await adopt(tg) == 0  # running here now: not started twice
    for index in range(3, TOTAL):
        _, resume = await clock.paused()
        polls = tg.request.of("sendPoll")
        assert len(polls) == index - 2  # one at a time, from the 4th question on
        assert polls[-1].params["question"].endswith(" ".join(QUESTIONS[index]["prompt"].split()))
        resume.set_result(None)
    task = group_quizzes_of(tg.app.bot_data).task(GROUP_ID)
    assert task is not None
    await asyncio.wait_for(task, 10)
    (board,) = tg.request.of("sendMessage")  # no second intro; the leaderboard
    assert shown(board) == f"{texts.LEADERBOARD_TITLE}\n\n{texts.LEADERBOARD_NOBODY}"
    assert await adopt(tg) == 0  # finished: nothing left to carry on


async def test_a_step_another_replica_took_is_not_posted_twice(
    group: tuple[BotUnderTest, Clock],
) -> None:
    from bot.quizzes import repo
    from bot.telegram.handlers import SERVICES

    tg, clock = group
    run_id = await stalled_run(tg, GROUP_ID, 8)
    assert await adopt(tg) == 1
    _, resume = await clock.paused()  # poll 9 posted; meanwhile another replica takes poll 10
    async with repo.writing(tg.app.bot_data[SERVICES].store) as conn:
        assert await repo.claim_step(conn, run_id, 9, None)
    resume.set_result(None)
    task = group_quizzes_of(tg.app.bot_data).task(GROUP_ID)
    assert task is not None
    await asyncio.wait_for(task, 10)
    assert len(tg.request.of("sendPoll")) == 1  # poll 10 and the leaderboard are the other's
    assert tg.request.of("sendMessage") == []


async def test_a_carried_on_group_quiz_keeps_the_language_it_began_in(
    group: tuple[BotUnderTest, Clock],
) -> None:
    tg, clock = group
    await stalled_run(tg, GROUP_ID, TOTAL - 1, "zh-Hans")
    assert await adopt(tg) == 1
    _, resume = await clock.paused()
    (poll,) = tg.request.of("sendPoll")
    zh = QUESTIONS[-1]["zh"]
    assert poll.params["question"].endswith(" ".join(zh["prompt"].split()))
    assert [o["text"] for o in poll.params["options"]] == zh["options"]
    resume.set_result(None)
    task = group_quizzes_of(tg.app.bot_data).task(GROUP_ID)
    assert task is not None
    await asyncio.wait_for(task, 10)
    (board,) = tg.request.of("sendMessage")
    assert texts.LEADERBOARD_TITLE not in shown(board)  # in Chinese, like the polls


async def test_a_replica_without_the_jobs_posts_the_intro_and_the_jobs_replica_the_polls(
    group: tuple[BotUnderTest, Clock],
) -> None:
    from bot.telegram.handlers import SERVICES

    tg, clock = group
    conversation = tg.app.bot_data[SERVICES].conversation
    quizzes = group_quizzes_of(tg.app.bot_data)
    host = Updates(user_id=880_000, first_name="Host")
    who = Who(880_000, GROUP_ID, group=True, first_name="Host")
    assert await quizzes.start(tg.app.bot, conversation, who, "starter", None, here=False) == []
    (intro,) = tg.request.of("sendMessage")
    assert f"{TOTAL} questions" in shown(intro) and tg.request.of("sendPoll") == []
    assert quizzes.task(GROUP_ID) is None  # nothing timed here
    busy = only(await tg.send(host.command("quiz", "starter", chat_id=GROUP_ID)))
    assert shown(busy) == group_quiz.ALREADY_RUNNING  # the database knows the run
    await asyncio.sleep(group_quiz.STALL_S + 0.2)
    assert await adopt(tg) == 1  # the jobs' replica's next round
    _, resume = await clock.paused()
    (poll,) = tg.request.of("sendPoll")
    assert poll.params["question"].endswith(" ".join(QUESTIONS[0]["prompt"].split()))
    assert len(tg.request.of("sendMessage")) == 2  # the intro once, and the "busy" note
    resume.cancel()
