"""The conversation core and the console adapter, with a scripted search and an in-memory store."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot.console import ConsoleChat, render_reply, run_console
from bot.conversation import texts
from bot.conversation.actions import MAX_ACTION_BYTES, encode, parse
from bot.conversation.core import Conversation, ConversationConfig
from bot.conversation.flood import FloodGuard, Verdict
from bot.conversation.replies import Who
from bot.knowledge.models import KnowledgeBase
from bot.search.results import Hit, SearchResult, Status

WHO = Who(user_id=42, chat_id=42, first_name="Mei")


class MemoryRecorder:
    """Keeps what the conversation stores, in lists."""

    def __init__(self) -> None:
        self.unanswered: list[tuple[str, str | None, float, str]] = []
        self.feedback: list[tuple[str, int]] = []
        self.forgotten: list[int] = []

    async def record_unanswered(
        self, question: str, best_id: str | None, score: float, status: str
    ) -> None:
        self.unanswered.append((question, best_id, score, status))

    async def record_feedback(self, entry_id: str, vote: int, *, voter: int | None = None) -> bool:
        self.feedback.append((entry_id, vote))
        return True

    async def forget_user(self, user_id: int) -> int:
        self.forgotten.append(user_id)
        return 3


def scripted(results: dict[str, SearchResult]):  # type: ignore[no-untyped-def]
    """A search function answering from a table; unknown text is declined with no hits."""

    async def search(text: str, k: int) -> SearchResult:
        return results.get(text, SearchResult(text, Status.DECLINED, ()))

    return search


def hit(entry_id: str, score: float) -> Hit:
    return Hit(entry_id, score, score, 0.0)


@pytest.fixture
def store() -> MemoryRecorder:
    return MemoryRecorder()


@pytest.fixture
def conversation(kb: KnowledgeBase, store: MemoryRecorder) -> Conversation:
    results = {
        "pay to like videos": SearchResult(
            "pay to like videos", Status.ANSWER, (hit("task-scam", 0.8), hit("money-mule", 0.4))
        ),
        "barely": SearchResult("barely", Status.ANSWER, (hit("task-scam", 0.47),)),
        "close call": SearchResult(
            "close call",
            Status.AMBIGUOUS,
            (hit("deepfake-video-call", 0.6), hit("voice-clone-call", 0.59)),
        ),
        "weather": SearchResult("weather", Status.DECLINED, (hit("fake-loan", 0.2),)),
        "😀": SearchResult("", Status.EMPTY, ()),
    }
    config = ConversationConfig(threshold=0.45, low_confidence_margin=0.08, flood_limit=3)
    return Conversation(kb, scripted(results), store, config, rng=random.Random(7))


async def test_answer_has_title_flags_actions_and_buttons(conversation: Conversation, kb) -> None:
    [reply] = await conversation.on_text(WHO, "pay to like videos")
    entry = kb.get("task-scam")
    text = reply.plain_text()
    assert text.startswith(entry.title)
    assert "🚩 Red flags" in text and entry.red_flags[0] in text
    assert "✅ What to do" in text and entry.what_to_do[0] in text
    assert reply.text[0].bold
    actions = [b.action for row in reply.buttons for b in row]
    assert [a for a in actions if a.startswith("e:")] == [f"e:{r}" for r in entry.related[:2]]
    assert "fb:u:task-scam" in actions and "fb:d:task-scam" in actions


async def test_declined_offers_three_topics_and_report_and_is_stored(
    conversation: Conversation, store: MemoryRecorder
) -> None:
    first, second = await conversation.on_text(WHO, "weather")
    assert first.plain_text() == texts.DECLINED
    assert [b.action for row in first.buttons for b in row] == ["t:fraud", "t:jobs", "t:crypto"]
    assert second.plain_text() == texts.REPORT_POINTER
    assert store.unanswered == [("weather", "fake-loan", 0.2, "declined")]


async def test_low_confidence_and_ambiguous_are_stored_but_confident_is_not(
    conversation: Conversation, store: MemoryRecorder
) -> None:
    await conversation.on_text(WHO, "pay to like videos")
    await conversation.on_text(WHO, "barely")
    [reply] = await conversation.on_text(WHO, "close call")
    assert [s[3] for s in store.unanswered] == ["low", "ambiguous"]
    assert reply.plain_text() == texts.DID_YOU_MEAN
    assert [b.action for row in reply.buttons for b in row] == [
        "e:deepfake-video-call",
        "e:voice-clone-call",
    ]


async def test_empty_input_gets_a_hint(conversation: Conversation) -> None:
    [reply] = await conversation.on_text(WHO, "😀")
    assert reply.plain_text() == texts.EMPTY


async def test_start_payloads(conversation: Conversation, kb) -> None:
    [opened] = await conversation.on_command(WHO, "start", "topic-task-scam")
    assert opened.plain_text().startswith(kb.get("task-scam").title)
    for payload in ["", "topic-", "topic-nope", "quiz-x", "💥", "topic-task-scam-x"]:
        [reply] = await conversation.on_command(WHO, "start", payload)
        assert reply.plain_text() == texts.WELCOME, payload


async def test_report_and_privacy_come_from_the_knowledge_base(conversation, kb) -> None:
    [report] = await conversation.on_command(WHO, "report")
    [privacy] = await conversation.on_command(WHO, "privacy")
    assert report.plain_text().startswith(kb.get("report-hotlines").title)
    assert privacy.plain_text().startswith(kb.get("privacy").title)
    assert not any(b.action.startswith("fb:") for row in report.buttons for b in row)


async def test_unknown_command_gets_help(conversation: Conversation) -> None:
    [reply] = await conversation.on_command(WHO, "frobnicate")
    assert reply.plain_text().startswith(texts.HELP_TITLE)
    assert "/forgetme" in reply.plain_text()


async def test_topic_browser_navigates_and_edits(conversation: Conversation, kb) -> None:
    [topics] = await conversation.on_command(WHO, "topics")
    assert topics.button_labels()[0] == texts.TOPIC_LABELS["jobs"]
    outcome = await conversation.on_button(WHO, "t:jobs")
    [jobs] = outcome.replies
    assert jobs.edit
    assert jobs.button_labels()[:-1] == [e.title for e in kb.by_topic("jobs")]
    [entry] = (await conversation.on_button(WHO, f"b:{kb.by_topic('jobs')[0].id}")).replies
    assert entry.edit and entry.button_labels()[-1] == "⬅️ Back"
    assert entry.buttons[-1][0].action == "t:jobs"
    [back] = (await conversation.on_button(WHO, "tl")).replies
    assert back.edit and back.button_labels() == topics.button_labels()


@pytest.mark.parametrize(
    "data",
    [
        "",
        "x",
        "e:no-such-entry",
        "t:nope",
        "fb:x:task-scam",
        "fb:u:nope",
        "fg:maybe",
        "e:" + "a" * 70,
        "b:../../etc",
        "tip:extra:x",
        "\x00",
    ],
)
async def test_forged_or_stale_buttons_expire(conversation: Conversation, data: str) -> None:
    outcome = await conversation.on_button(WHO, data)
    assert outcome.notice == texts.EXPIRED and outcome.replies == []


async def test_feedback_is_stored_and_buttons_removed(conversation, store) -> None:
    outcome = await conversation.on_button(WHO, "fb:d:task-scam")
    assert store.feedback == [("task-scam", -1)]
    assert outcome.notice == texts.FEEDBACK_THANKS
    [reply] = outcome.replies
    assert reply.edit and not any(b.action.startswith("fb:") for row in reply.buttons for b in row)


async def test_forgetme_needs_confirmation(kb: KnowledgeBase, tmp_path: Path) -> None:
    """On a real store: what is counted and deleted is the user's data, and only theirs."""
    from bot.quizzes.engine import QuizEngine
    from bot.quizzes.loader import load_quizzes
    from bot.storage.store import Store
    from tests.conftest import KNOWLEDGE

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        engine = QuizEngine(load_quizzes(KNOWLEDGE / "quizzes", kb), store)
        conversation = Conversation(kb, scripted({}), store, quizzes=engine)
        other = Who(user_id=43, chat_id=43)
        for who in (WHO, other):
            await conversation.on_command(who, "quiz", "starter")  # an attempt each
        await conversation.on_command(WHO, "newclass", "starter")  # and a class
        await conversation.on_button(WHO, "fb:u:task-scam")  # and a vote (as a hash)

        [ask] = await conversation.on_command(WHO, "forgetme")
        assert [b.action for row in ask.buttons for b in row] == ["fg:yes", "fg:no"]
        cancelled = await conversation.on_button(WHO, "fg:no")
        assert cancelled.replies[0].plain_text() == texts.FORGET_CANCELLED
        assert [c.quiz_id for c in await engine.classes(WHO.user_id)] == ["starter"]
        done = await conversation.on_button(WHO, "fg:yes")
        assert done.replies[0].plain_text() == texts.FORGET_DONE.format(count=3)
        assert await engine.classes(WHO.user_id) == []
        assert await store.feedback_summary() == []
        again = await conversation.on_button(WHO, "fg:yes")
        assert again.replies[0].plain_text() == texts.FORGET_DONE.format(count=0)
        assert await store.forget_user(other.user_id) == 1  # the other user's attempt stayed
    finally:
        await store.close()


async def test_tip_is_a_real_red_flag(conversation: Conversation, kb) -> None:
    [tip] = await conversation.on_command(WHO, "tips")
    flags = {flag for e in kb.entries for flag in e.red_flags}
    assert tip.plain_text().split("\n\n")[1] in flags


async def test_inline_offers_answered_entries_only(conversation: Conversation) -> None:
    articles = await conversation.inline("pay to like videos")
    assert [a.entry_id for a in articles] == ["task-scam"]  # money-mule scored under threshold
    assert await conversation.inline("weather") == []


def test_flood_guard_gives_one_notice_per_burst() -> None:
    now = [0.0]
    guard = FloodGuard(limit=2, window=10.0, clock=lambda: now[0])
    verdicts = [guard.check(1) for _ in range(5)]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTICE, Verdict.DROP, Verdict.DROP]
    assert guard.check(2) is Verdict.ALLOW  # other users are not affected
    now[0] = 10.0
    assert guard.check(1) is Verdict.ALLOW


def test_actions_fit_telegram_and_parse_back() -> None:
    data = encode("fb", "u", "a" * 40)
    assert len(data.encode()) <= MAX_ACTION_BYTES
    assert parse(data) is not None and parse(data).arg2 == "a" * 40
    with pytest.raises(ValueError):
        encode("e", "x" * 70)
    with pytest.raises(ValueError):
        encode("e", "", "second")


async def test_console_numbers_press_buttons_exactly(conversation: Conversation, kb) -> None:
    chat = ConsoleChat(conversation, WHO)
    blocks = await chat.handle("/start")
    assert blocks == [
        texts.WELCOME
        + "\n  [1] 📚 Browse topics\n  [2] 💡 Give me a tip\n  [3] 🆘 I think I've been scammed"
    ]
    [topics] = await chat.handle("1")
    assert topics.splitlines()[0] == texts.TOPICS_TITLE
    assert topics.splitlines()[1] == f"  [1] {texts.TOPIC_LABELS['jobs']}"
    [jobs] = await chat.handle("1")
    assert jobs.splitlines()[1] == f"  [1] {kb.by_topic('jobs')[0].title}"
    assert await chat.handle("   ") == []
    assert await chat.handle("99") == await chat.handle("99")  # not a button: searched as text


async def test_console_transcript_exact(conversation: Conversation) -> None:
    chat = ConsoleChat(conversation, WHO)
    lines = iter(["/frobnicate", "😀", "quit", "never read"])
    written: list[str] = []

    async def read(prompt: str) -> str:
        return next(lines)

    await run_console(chat, read, written.append)
    help_block, _ = render_reply((await conversation.on_command(WHO, "help"))[0], 1)
    assert written == [help_block, "", texts.EMPTY, ""]


async def test_console_transcript_ends_on_eof(conversation: Conversation) -> None:
    written: list[str] = []

    async def read(prompt: str) -> str:
        raise EOFError

    await run_console(ConsoleChat(conversation, WHO), read, written.append)
    assert written == [""]


def test_admit_applies_flood_limit(conversation: Conversation) -> None:
    verdicts = [conversation.admit(WHO) for _ in range(5)]
    assert verdicts[:3] == [None, None, None]
    assert [r.plain_text() for r in verdicts[3]] == [texts.FLOODED]
    assert verdicts[4] == []


@pytest.mark.parametrize("word", ["  QUIT ", "exit", "/quit"])
async def test_console_quit_words_end_the_chat(conversation: Conversation, word: str) -> None:
    lines = iter(["😀", word, "😀"])
    written: list[str] = []

    async def read(prompt: str) -> str:
        return next(lines)

    await run_console(ConsoleChat(conversation, WHO), read, written.append)
    assert written == [texts.EMPTY, ""]


def test_inline_preview_marks_only_cut_text() -> None:
    from bot.conversation.core import _preview

    assert _preview("short answer") == "short answer"
    long = "word " * 60
    assert _preview(long).endswith("word…") and len(_preview(long)) <= 121


def test_flood_state_is_bounded_by_time_and_by_count() -> None:
    now = [0.0]
    guard = FloodGuard(limit=2, window=30.0, clock=lambda: now[0], max_users=5_000)
    for user in range(200_000):  # 200,000 distinct users, 1,000 a second
        now[0] = user / 1000
        assert guard.check(user) is Verdict.ALLOW
        assert len(guard) <= 5_000
    now[0] += 31.0
    guard.check(1)  # a window later, the idle ones are swept on the next event
    assert len(guard) == 1
    # Forgetting never lets a flooder through inside their window.
    for _ in range(2):
        guard.check(7)
    assert guard.check(7) is Verdict.NOTICE and guard.check(7) is Verdict.DROP


def test_flood_state_forgets_idle_users_without_a_count_limit() -> None:
    now = [0.0]
    guard = FloodGuard(limit=2, window=10.0, clock=lambda: now[0])
    for user in range(50_000):  # 50 new users a second for 1,000 s
        now[0] = user / 50
        guard.check(user)
    assert len(guard) <= 2 * 10 * 50  # users seen in the last two windows at most
