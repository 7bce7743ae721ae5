"""Quizzes through the conversation core and the console adapter, over a real SQLite store."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.console import ConsoleChat
from bot.conversation import texts
from bot.conversation.actions import MAX_ACTION_BYTES
from bot.conversation.core import Conversation
from bot.conversation.replies import Outcome, PollSpec, QuizPlan, Reply, Who
from bot.knowledge.models import KnowledgeBase
from bot.quizzes.engine import QuizEngine
from bot.quizzes.models import Quiz, QuizQuestion
from bot.quizzes.qr import qr_png
from bot.search.results import SearchResult, Status
from bot.storage import schema
from bot.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
MEI = Who(user_id=9_000_000_001, chat_id=9_000_000_001, first_name="Mei")
LI = Who(user_id=9_000_000_002, chat_id=9_000_000_002, first_name="Li")
ANA = Who(user_id=9_000_000_003, chat_id=9_000_000_003, first_name="Ana")
TEACHER = Who(user_id=9_000_000_009, chat_id=9_000_000_009, first_name="Tess")
GROUP = -100_555
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHARE = "https://t.me/share/url?url=https%3A%2F%2Ft.me%2FScamWiseBot%3Fstart%3Dquiz-demo"


def question(n: int, answer: int, entry: str) -> QuizQuestion:
    options = ("Option A", "Option B", "Option C")
    return QuizQuestion(f"Question {n}?", options, answer, f"Because {n}.", entry)


DEMO = Quiz(
    "demo",
    "Demo quiz",
    "A demo.",
    (
        question(1, 1, "task-scam"),
        question(2, 1, "upfront-fee-job"),
        question(3, 0, "money-mule"),
    ),
)


async def declined(text: str, k: int) -> SearchResult:
    return SearchResult(text, Status.DECLINED, ())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'quiz.sqlite3'}")
    yield opened
    await opened.close()


@pytest.fixture
def conversation(kb: KnowledgeBase, store: Store) -> Conversation:
    engine = QuizEngine({"demo": DEMO}, store)
    return Conversation(kb, declined, store, quizzes=engine, bot_username="ScamWiseBot")


def actions(reply: Reply) -> list[str]:
    return [b.action for row in reply.buttons for b in row if b.action]


def button(reply: Reply, label: str) -> str:
    [action] = [b.action for row in reply.buttons for b in row if b.label == label]
    return action


async def press(conversation: Conversation, who: Who, action: str) -> Reply:
    outcome = await conversation.on_button(who, action)
    assert outcome.notice is None, outcome.notice
    [reply] = outcome.replies
    return reply


async def play(conversation: Conversation, who: Who, first: Reply, options: list[int]) -> Reply:
    """Answer each question by pressing its option button, then Next; return the last reply."""
    reply = first
    for option in options:
        answered = await press(conversation, who, actions(reply)[option])
        assert answered.edit
        reply = await press(conversation, who, button(answered, texts.QUIZ_NEXT))
    return reply


SUMMARY = (
    "🏁 Demo quiz: you scored 2/3\n\n"
    "Worth another look:\n\n"
    "Q2. Question 2?\n"
    "✅ Option B\n"
    "Because 2."
)


async def test_deep_link_to_the_final_score(conversation: Conversation) -> None:
    [first] = await conversation.on_command(MEI, "start", "quiz-demo")
    assert first.plain_text() == (
        "🧠 Demo quiz · 1/3\n\nQuestion 1?\n\nA) Option A\nB) Option B\nC) Option C"
    )
    assert first.button_labels() == ["A) Option A", "B) Option B", "C) Option C"]
    answered = await press(conversation, MEI, actions(first)[1])
    assert answered.edit
    assert answered.plain_text() == (
        "✅ Correct! · 1/3\n\nQuestion 1?\n\nThe answer: B) Option B\n\nBecause 1."
    )
    assert answered.button_labels() == [texts.QUIZ_LEARN_MORE, texts.QUIZ_NEXT]
    assert button(answered, texts.QUIZ_LEARN_MORE) == "e:task-scam"
    second = await press(conversation, MEI, button(answered, texts.QUIZ_NEXT))
    assert second.edit and second.plain_text().startswith("🧠 Demo quiz · 2/3\n\nQuestion 2?")
    wrong = await press(conversation, MEI, actions(second)[0])
    assert wrong.plain_text().startswith("❌ Not quite. · 2/3")
    assert "The answer: B) Option B\n\nBecause 2." in wrong.plain_text()
    third = await press(conversation, MEI, button(wrong, texts.QUIZ_NEXT))
    summary = await play(conversation, MEI, third, [0])
    assert summary.edit and summary.plain_text() == SUMMARY
    retake, share = summary.buttons[0]
    assert (retake.label, retake.action) == (texts.QUIZ_RETAKE, "qs:demo")
    assert (share.label, share.url) == (texts.QUIZ_SHARE, SHARE)
    again = await press(conversation, MEI, retake.action)
    assert again.plain_text().startswith("🧠 Demo quiz · 1/3")


async def test_the_console_takes_a_quiz_with_numbers(conversation: Conversation) -> None:
    chat = ConsoleChat(conversation, MEI)
    [first] = await chat.handle("/start quiz-demo")
    assert first.endswith("  [1] A) Option A\n  [2] B) Option B\n  [3] C) Option C")
    blocks: list[str] = []
    for line in ["2", "2", "1", "2", "1", "2"]:
        blocks += await chat.handle(line)
    assert blocks[-1] == (SUMMARY + "\n  [1] 🔁 Retake\n" + f"  [2] 📤 Share → {SHARE}")
    assert await chat.handle("2") == [f"Open this link: {SHARE}"]
    [learn] = await chat.handle("/start quiz-demo")
    assert learn.startswith("🧠 Demo quiz · 1/3")


async def test_quiz_command_lists_and_starts(conversation: Conversation) -> None:
    [listing] = await conversation.on_command(MEI, "quiz")
    assert listing.plain_text() == f"{texts.QUIZ_PICK}\n\nDemo quiz\nA demo.\nid: demo"
    assert actions(listing) == ["qs:demo"]
    [started] = await conversation.on_command(MEI, "quiz", "demo")
    assert started.plain_text().startswith("🧠 Demo quiz · 1/3")
    [unknown] = await conversation.on_command(MEI, "quiz", "nope")
    assert unknown.plain_text().startswith(texts.QUIZ_UNKNOWN.format(quiz_id="nope"))
    assert actions(unknown) == ["qs:demo"]
    [resumed] = await conversation.on_command(MEI, "quiz", "demo")
    assert texts.QUIZ_RESUMED in resumed.plain_text()
    assert actions(resumed) == actions(started)


async def test_welcome_and_help_offer_quizzes(conversation: Conversation, kb, store) -> None:
    [welcome] = await conversation.on_command(MEI, "start")
    assert actions(welcome) == ["menu", "tip", "report", "quiz"]
    assert welcome.button_labels()[-1] == texts.QUIZ_BUTTON
    [listing] = (await conversation.on_button(MEI, "quiz")).replies
    assert actions(listing) == ["qs:demo"]
    [help_reply] = await conversation.on_command(MEI, "help")
    for command in ("/quiz", "/newclass", "/results", "/classes", "/closeclass"):
        assert command in help_reply.plain_text()
    plain = Conversation(kb, declined, store)  # no quiz engine: no quiz button
    [welcome] = await plain.on_command(MEI, "start")
    assert actions(welcome) == ["menu", "tip", "report"]
    [reply] = await plain.on_command(MEI, "quiz")
    assert reply.plain_text() == texts.QUIZ_UNAVAILABLE
    assert (await plain.on_button(MEI, "quiz")).notice == texts.EXPIRED


def test_help_lines_are_valid_bot_commands() -> None:
    # The Telegram adapter registers HELP_LINES as the bot's command menu.
    assert all(re.fullmatch(r"/[a-z0-9_]{1,32}", command) for command, _ in texts.HELP_LINES)


@pytest.mark.parametrize(
    "payload", ["quiz-", "quiz-nope", "quiz-demo-abc", "quiz-demo-AAAAAAA!", "quiz-nope-AAAAAAAA"]
)
async def test_bad_quiz_deep_links_get_the_welcome(
    conversation: Conversation, payload: str
) -> None:
    [reply] = await conversation.on_command(MEI, "start", payload)
    assert reply.plain_text() == texts.WELCOME


async def test_double_taps_and_stale_buttons(conversation: Conversation) -> None:
    [first] = await conversation.on_command(MEI, "quiz", "demo")
    option = actions(first)[1]
    [verdict] = (await conversation.on_button(MEI, option)).replies
    # Tapped again before Next: the same verdict again (the first may have been lost).
    again = await conversation.on_button(MEI, option)
    assert again == Outcome([verdict], notice=texts.QUIZ_ALREADY_ANSWERED)
    assert any(a.startswith("qn:") for a in actions(verdict))
    attempt = option.split(":")[1]
    stale = [
        f"qa:{attempt}:1.0",  # not the current question
        f"qa:{attempt}:0.9",
        f"qa:{int(attempt) + 99}:0.0",
        f"qn:{attempt}:2",
        f"qn:{attempt}:x",
        f"qa:{attempt}:0",
        f"qa:{attempt}:0.1:x",
        "qa:x:0.0",
        "qs:nope",
        "qs:demo:x",
        "quiz:x",
        "qn",
    ]
    for data in stale:
        assert await conversation.on_button(MEI, data) == Outcome(notice=texts.EXPIRED), data
    other = await conversation.on_button(LI, f"qn:{attempt}:0")  # someone else's attempt
    assert other == Outcome(notice=texts.EXPIRED)


async def test_classes_through_the_conversation(conversation: Conversation) -> None:
    [created] = await conversation.on_command(TEACHER, "newclass", "demo")
    match = re.search(
        r"https://t\.me/ScamWiseBot\?start=quiz-demo-([A-Za-z0-9]{8})", created.plain_text()
    )
    assert match is not None
    link, code = match[0], match[1]
    assert created.image is not None
    assert created.image.png.startswith(PNG_SIGNATURE) and created.image.png == qr_png(link)
    assert created.image.caption == link
    assert f"/results {code}" in created.plain_text()
    conversation.bot_username = "RealBot"  # set by the Telegram adapter after getMe
    [later] = await conversation.on_command(TEACHER, "newclass", "demo")
    assert "https://t.me/RealBot?start=quiz-demo-" in later.plain_text()
    conversation.bot_username = "ScamWiseBot"

    [mei] = await conversation.on_command(MEI, "start", f"quiz-demo-{code}")
    await play(conversation, MEI, mei, [1, 1, 0])
    [li] = await conversation.on_command(LI, "start", f"quiz-demo-{code}")
    await play(conversation, LI, li, [1, 0, 1])

    [results] = await conversation.on_command(TEACHER, "results", code)
    assert results.plain_text() == (
        f"📊 Class {code} · Demo quiz (open)\n\n"
        "Finished: 2 · in progress: 0\n"
        "Average score: 2.0/3\n"
        "Scores: 3/3: 1 · 1/3: 1\n"
        "Correct per question: Q1 100% · Q2 50% · Q3 50%\n\n"
        "Most missed:\n\n"
        "Q2 (50% correct). Question 2?\n✅ Option B\nBecause 2.\n\n"
        "Q3 (50% correct). Question 3?\n✅ Option A\nBecause 3."
    )
    assert results.image is not None and results.image.png.startswith(PNG_SIGNATURE)
    [refused] = await conversation.on_command(LI, "results", code)
    assert refused.plain_text() == texts.RESULTS_NOT_ALLOWED and refused.image is None
    [unknown] = await conversation.on_command(TEACHER, "results", "Zz9Zz9Zz")
    assert unknown.plain_text() == refused.plain_text()  # unknown and not-yours read the same
    assert "No class of yours has that code" in unknown.plain_text()
    [usage] = await conversation.on_command(TEACHER, "results")
    assert usage.plain_text() == texts.RESULTS_USAGE

    [listing] = await conversation.on_command(TEACHER, "classes")
    assert f"• {code} — Demo quiz — 2 finished — open" in listing.plain_text()
    [none] = await conversation.on_command(LI, "classes")
    assert none.plain_text() == texts.CLASSES_NONE

    [refused] = await conversation.on_command(LI, "closeclass", code)
    assert refused.plain_text() == texts.CLOSE_NOT_ALLOWED
    [closed] = await conversation.on_command(TEACHER, "closeclass", code)
    assert closed.plain_text() == texts.CLOSE_DONE.format(code=code, title="Demo quiz")
    [late] = await conversation.on_command(ANA, "start", f"quiz-demo-{code}")
    assert late.plain_text() == texts.QUIZ_CLASS_CLOSED.format(title="Demo quiz")
    assert actions(late) == ["qs:demo"]
    [done] = await conversation.on_command(MEI, "start", f"quiz-demo-{code}")
    assert done.plain_text() == texts.QUIZ_ALREADY_FINISHED.format(
        title="Demo quiz", score=3, total=3
    )
    [empty] = await conversation.on_command(TEACHER, "results", later_code(later))
    assert texts.RESULTS_NOBODY in empty.plain_text() and empty.image is None


def later_code(reply: Reply) -> str:
    match = re.search(r"quiz-demo-([A-Za-z0-9]{8})", reply.plain_text())
    assert match is not None
    return match[1]


async def test_newclass_needs_a_known_quiz(conversation: Conversation) -> None:
    for args in ("", "nope"):
        [reply] = await conversation.on_command(TEACHER, "newclass", args)
        assert reply.plain_text() == texts.CLASS_USAGE.format(ids="demo")
        assert reply.image is None


async def test_every_quiz_action_fits_telegram(conversation: Conversation) -> None:
    assert conversation.quiz is not None
    long_id = "q" * 30
    conversation.quiz.engine.quizzes[long_id] = Quiz(long_id, "Long", "Long.", DEMO.questions)
    [reply] = await conversation.on_command(MEI, "quiz", long_id)
    seen = actions(reply)
    for _ in DEMO.questions:
        answered = await press(conversation, MEI, actions(reply)[0])
        reply = await press(conversation, MEI, button(answered, texts.QUIZ_NEXT))
        seen += actions(answered) + actions(reply)
    assert f"qs:{long_id}" in seen
    assert all(len(a.encode()) <= MAX_ACTION_BYTES for a in seen)


# --- groups ----------------------------------------------------------------------------------


async def test_group_quiz_plan_votes_and_leaderboard(conversation: Conversation) -> None:
    group = Who(user_id=MEI.user_id, chat_id=GROUP, group=True, first_name="Mei")
    [hint] = await conversation.on_command(group, "quiz")
    assert hint.plain_text() == texts.QUIZ_GROUP_HINT.format(ids="demo")
    unknown = await conversation.group_quiz_plan(group, "nope")
    assert isinstance(unknown, Reply)
    plan = await conversation.group_quiz_plan(group, "demo")
    assert isinstance(plan, QuizPlan)
    assert plan.intro.plain_text() == texts.GROUP_QUIZ_INTRO.format(
        title="Demo quiz", questions="3 questions"
    )
    assert plan.polls[0] == PollSpec(
        "1/3. Question 1?", DEMO.questions[0].options, 1, "Because 1."
    )
    for spec in plan.polls:
        assert len(spec.question) <= 300 and len(spec.explanation) <= 200
    for index, spec in enumerate(plan.polls):
        await conversation.on_poll_sent(plan.run_id, index, f"p{index}", spec.correct_option)
    await conversation.on_poll_answer("p0", MEI.user_id, "Mei", [1])
    await conversation.on_poll_answer("p1", MEI.user_id, "Mei", [1])
    await conversation.on_poll_answer("p0", LI.user_id, "Li", [1])
    await conversation.on_poll_answer("p1", LI.user_id, "Li", [])  # retracted
    await conversation.on_poll_answer("p1", LI.user_id, "Li", [2])
    await conversation.on_poll_answer("p1", LI.user_id, "Li", [1])  # a second vote
    await conversation.on_poll_answer("elsewhere", ANA.user_id, "Ana", [0])
    board = await conversation.group_leaderboard(plan.run_id)
    assert board.plain_text() == f"{texts.LEADERBOARD_TITLE}\n\n1. Mei — 2\n2. Li — 1"
    assert str(MEI.user_id) not in repr(board)


# --- /forgetme -------------------------------------------------------------------------------


async def counts(store: Store, user_id: int) -> dict[str, int]:
    """Rows of one user in each quiz table (answers through the user's attempts)."""
    a, ans, c, v = (
        schema.quiz_attempts,
        schema.quiz_answers,
        schema.quiz_classes,
        schema.group_quiz_votes,
    )
    queries = {
        "attempts": sa.select(sa.func.count()).where(a.c.user_id == user_id),
        "answers": sa.select(sa.func.count())
        .select_from(ans.join(a, a.c.id == ans.c.attempt_id))
        .where(a.c.user_id == user_id),
        "classes": sa.select(sa.func.count()).where(c.c.user_id == user_id),
        "votes": sa.select(sa.func.count()).where(v.c.user_id == user_id),
        "all answers": sa.select(sa.func.count()).select_from(ans),
    }
    async with store.engine.connect() as conn:
        return {k: int((await conn.execute(q)).scalar_one()) for k, q in queries.items()}


async def test_forgetme_deletes_quiz_data(conversation: Conversation, store: Store) -> None:
    for who in (MEI, LI):
        [first] = await conversation.on_command(who, "quiz", "demo")
        await play(conversation, who, first, [1, 0])
        await conversation.on_command(who, "newclass", "demo")
    plan = await conversation.group_quiz_plan(Who(1, GROUP, group=True), "demo")
    assert isinstance(plan, QuizPlan)
    await conversation.on_poll_sent(plan.run_id, 0, "p0", 1)
    for who in (MEI, LI):
        await conversation.on_poll_answer("p0", who.user_id, who.first_name, [1])
    before = await counts(store, MEI.user_id)
    assert before == {"attempts": 1, "answers": 2, "classes": 1, "votes": 1, "all answers": 4}
    await conversation.on_command(MEI, "forgetme")
    outcome = await conversation.on_button(MEI, "fg:yes")
    assert outcome.replies[0].plain_text() == texts.FORGET_DONE.format(records="3 records")
    after = await counts(store, MEI.user_id)
    assert after == {"attempts": 0, "answers": 0, "classes": 0, "votes": 0, "all answers": 2}
    assert await counts(store, LI.user_id) == {
        "attempts": 1, "answers": 2, "classes": 1, "votes": 1, "all answers": 2,
    }  # fmt: skip


def test_the_quiz_core_never_imports_telegram() -> None:
    code = (
        "import sys\n"
        "import bot.console, bot.conversation.core, bot.conversation.quiz_flow\n"
        "import bot.quizzes.engine, bot.quizzes.loader, bot.quizzes.views\n"
        "import bot.quizzes.charts, bot.quizzes.qr, bot.quizzes.repo\n"
        "bad = [m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


async def test_the_console_quiz_goes_on_after_learn_more(conversation: Conversation, kb) -> None:
    chat = ConsoleChat(conversation, MEI)
    await chat.handle("/start quiz-demo")
    [verdict] = await chat.handle("2")
    assert verdict.endswith("  [1] 📖 Learn more\n  [2] Next ▶")
    entry, earlier = await chat.handle("1")
    assert entry.startswith(kb.get("task-scam").title)
    next_number = earlier.splitlines()[-1].split("]")[0].strip(" [")
    assert earlier.splitlines()[-1] == f"  [{next_number}] Next ▶"
    [question_two] = await chat.handle(next_number)
    assert question_two.startswith("🧠 Demo quiz · 2/3")
