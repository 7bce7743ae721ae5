"""The conversation core and the console adapter, with a scripted search and an in-memory store."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bot import console
from bot.console import ConsoleChat, render_reply, run_console
from bot.conversation import entry_views, regions, texts
from bot.conversation.actions import MAX_ACTION_BYTES, encode, parse
from bot.conversation.core import Conversation, ConversationConfig
from bot.conversation.flood import FloodGuard, Verdict
from bot.conversation.markup import TELEGRAM_MAX_CHARS, to_html
from bot.conversation.replies import Who
from bot.i18n import _, speaking
from bot.knowledge.models import KnowledgeBase
from bot.search.results import Hit, SearchResult, Status

WHO = Who(user_id=42, chat_id=42, first_name="Mei")


class MemoryRecorder:
    """Keeps what the conversation stores, in lists."""

    def __init__(self) -> None:
        self.unanswered: list[tuple[str, str | None, float, str]] = []
        self.feedback: list[tuple[str, int]] = []
        self.forgotten: list[int] = []
        self.regions: dict[int, str] = {}

    async def record_unanswered(
        self, question: str, best_id: str | None, score: float, status: str
    ) -> None:
        self.unanswered.append((question, best_id, score, status))

    async def record_feedback(self, entry_id: str, vote: int, *, voter: int | None = None) -> bool:
        self.feedback.append((entry_id, vote))
        return True

    async def forget_user(self, user_id: int) -> int:
        self.forgotten.append(user_id)
        self.regions.pop(user_id, None)
        return 3

    async def get_region(self, user_id: int) -> str | None:
        return self.regions.get(user_id)

    async def set_region(self, user_id: int, region: str) -> None:
        self.regions[user_id] = region


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


async def test_answer_is_title_short_answer_and_section_buttons(
    conversation: Conversation, kb
) -> None:
    [reply] = await conversation.on_text(WHO, "pay to like videos")
    entry = kb.get("task-scam")
    assert reply.plain_text() == f"{entry.title}\n\n{entry.short}"
    assert reply.text[0].bold and entry.answer not in reply.plain_text()
    assert reply.button_labels()[:5] == [
        "🚩 Red flags", "✅ What to do", "📖 Full answer", "📚 Sources", "🔗 Related",
    ]  # fmt: skip
    actions = [b.action for row in reply.buttons for b in row]
    assert actions[:5] == [f"v:{s}:task-scam" for s in ("rf", "do", "full", "src", "rel")]
    assert "fb:u:task-scam" in actions and "fb:d:task-scam" in actions


async def test_each_section_opens_in_place_and_back_returns(conversation: Conversation, kb):
    entry = kb.get("task-scam")
    expected = {
        "rf": entry.red_flags[0],
        "full": entry.answer,
        "src": kb.sources[entry.sources[0]].title,
        "do": entry.what_to_do[0],
    }
    for section, text in expected.items():
        [reply] = (await conversation.on_button(WHO, f"v:{section}:task-scam")).replies
        assert reply.edit and text in reply.plain_text(), section
        assert reply.buttons[-1][0].action == "v:s:task-scam"
    [related] = (await conversation.on_button(WHO, "v:rel:task-scam")).replies
    actions = [b.action for row in related.buttons for b in row]
    assert actions[:-1] == [f"v:s:{r}" for r in entry.related]
    [back] = (await conversation.on_button(WHO, "v:s:task-scam")).replies
    assert back.edit and back.plain_text() == f"{entry.title}\n\n{entry.short}"
    for forged in ("v:zz:task-scam", "v:rf:no-such-entry", "v:rf"):
        assert (await conversation.on_button(WHO, forged)).notice == texts.EXPIRED


async def test_every_view_of_every_entry_fits_one_telegram_message(
    conversation: Conversation, kb: KnowledgeBase
) -> None:
    await conversation.on_button(WHO, "rs:uk")  # the longest region block
    for entry in kb.entries:
        for section in ("s", "rf", "do", "full", "src", "rel", "oth"):
            [reply] = (await conversation.on_button(WHO, f"v:{section}:{entry.id}")).replies
            html = to_html(reply.text)
            assert len(html.encode("utf-16-le")) // 2 <= TELEGRAM_MAX_CHARS, (entry.id, section)
            for row in reply.buttons:
                assert all(len(b.action.encode()) <= MAX_ACTION_BYTES for b in row)


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


async def test_report_asks_the_region_then_shows_its_lines(conversation, kb) -> None:
    [report] = await conversation.on_command(WHO, "report")
    [privacy] = await conversation.on_command(WHO, "privacy")
    assert report.plain_text().startswith(regions.MONEY_FIRST)
    assert entry_views.UNDER_18 in report.plain_text()
    assert len(report.button_labels()) == len(kb.regions.regions)
    assert privacy.plain_text().startswith(kb.get("privacy").title)
    assert not any(b.action.startswith("fb:") for row in privacy.buttons for b in row)


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
        assert done.replies[0].plain_text() == texts.FORGET_DONE.format(
            records=texts.plural(3, "record")
        )
        assert await engine.classes(WHO.user_id) == []
        assert await store.feedback_summary() == []
        again = await conversation.on_button(WHO, "fg:yes")
        assert again.replies[0].plain_text() == texts.FORGET_DONE.format(
            records=texts.plural(0, "record")
        )
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
    [topics, earlier] = await chat.handle("1")  # a new message: the welcome stays usable
    assert topics.splitlines()[0] == texts.TOPICS_TITLE
    assert topics.splitlines()[1] == f"  [1] {texts.TOPIC_LABELS['jobs']}"
    count = len(topics.splitlines()) - 1
    assert earlier.splitlines() == [
        "  " + console.EARLIER,
        f"  [{count + 1}] 📚 Browse topics",
        f"  [{count + 2}] 💡 Give me a tip",
        f"  [{count + 3}] 🆘 I think I've been scammed",
    ]
    [jobs] = await chat.handle("1")
    assert jobs.splitlines()[1] == f"  [1] {kb.by_topic('jobs')[0].title}"
    assert await chat.handle("   ") == [console.BLANK_HINT]
    total = len(chat.buttons)
    assert await chat.handle("99") == [console.NO_SUCH_CHOICE.format(number="99", last=total)]


async def test_console_feedback_confirms_without_reprinting(conversation: Conversation) -> None:
    chat = ConsoleChat(conversation, WHO)
    [answer] = await chat.handle("pay to like videos")
    number = next(i for i, b in enumerate(chat.buttons, 1) if b.label.startswith("👍"))
    notice, choices = await chat.handle(str(number))
    assert notice == f"({texts.FEEDBACK_THANKS})"
    assert choices.startswith("  [1] 🚩 Red flags") and "👍" not in choices
    assert answer.splitlines()[0] not in choices


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
    from bot.conversation.inline_mode import _preview

    assert _preview("short answer") == "short answer"
    long = "word " * 60
    assert _preview(long).endswith("word…") and len(_preview(long)) <= 121


# --- regions and help where the user lives ------------------------------------------------


async def test_what_to_do_asks_the_region_once_then_shows_its_lines_first(
    conversation: Conversation, store: MemoryRecorder, kb: KnowledgeBase
) -> None:
    [ask] = (await conversation.on_button(WHO, "v:do:task-scam")).replies
    assert kb.regions.hotline_line not in ask.plain_text()
    assert regions.ASK in ask.plain_text()
    choose_uk = next(b.action for row in ask.buttons for b in row if "United Kingdom" in b.label)
    assert choose_uk == "rs:uk:task-scam"
    outcome = await conversation.on_button(WHO, choose_uk)
    assert store.regions == {42: "uk"} and "United Kingdom" in (outcome.notice or "")
    text = outcome.replies[0].plain_text()
    steps = kb.get("task-scam").what_to_do
    assert text.index(steps[0]) < text.index("Report Fraud") < text.index("Checked 2026-12")
    assert "0300 123 2040" in text and "(to report)" in text and "18222" not in text
    labels = outcome.replies[0].button_labels()
    assert labels[:2] == [regions.OTHERS_LABEL, regions.CHANGE_LABEL]
    [again] = (await conversation.on_button(WHO, "v:do:task-scam")).replies  # not asked again
    assert "Report Fraud" in again.plain_text() and regions.ASK not in again.plain_text()
    [others] = (await conversation.on_button(WHO, "v:oth:task-scam")).replies
    assert all(r.name in others.plain_text() for r in kb.regions.regions)
    assert others.buttons[-1][0].action == "v:do:task-scam"


async def test_report_shows_the_stored_region_and_forgetme_deletes_it(
    conversation: Conversation, store: MemoryRecorder
) -> None:
    await conversation.on_button(WHO, "rs:hk")
    [report] = await conversation.on_command(WHO, "report")
    text = report.plain_text()
    assert text.startswith("📞 Where to get help: 🇭🇰 Hong Kong")
    assert "Anti-Scam Helpline 18222 (24 hours). (for advice)" in text
    assert entry_views.UNDER_18 in text and text.index(regions.MONEY_FIRST) < text.index("18222")
    [others] = (await conversation.on_button(WHO, "rg:all")).replies
    assert "Canadian Anti-Fraud Centre" in others.plain_text()
    assert "Macau" not in others.plain_text()
    await conversation.on_button(WHO, "fg:yes")
    assert store.regions == {}
    [asked] = await conversation.on_command(WHO, "report")
    assert regions.ASK in asked.plain_text() or "guess" in asked.plain_text()


async def test_region_command_offers_the_guessed_regions_first(
    conversation: Conversation,
) -> None:
    book = conversation.kb.regions
    assert book is not None
    await conversation.on_text(WHO, "有人说我的账户被冻结了, 这个是骗子吗")
    [simplified] = await conversation.on_command(WHO, "region")  # asked in Chinese, too
    with speaking("zh-Hans"):
        labels = [regions.region_label(book.get(r)) for r in ("cn", "sg", "my")]  # type: ignore[arg-type]
        names = _(" or ").join(regions.region_name(book.get(r)) for r in ("cn", "sg", "my"))  # type: ignore[arg-type]
    assert simplified.button_labels()[:3] == labels
    assert "你在哪个地区" in simplified.plain_text() and names in simplified.plain_text()
    await conversation.on_text(WHO, "有人說我的賬戶被凍結了, 這個是騙子嗎")
    [traditional] = await conversation.on_command(WHO, "region")  # in Traditional characters
    assert "你在哪個地區" in traditional.plain_text()
    assert [b.action for row in traditional.buttons for b in row][:2] == ["rs:hk", "rs:tw"]
    english = Who(user_id=77, chat_id=77)
    for forged in ("rs:mo", "rs:uk:no-such-entry", "rg:zz"):
        assert (await conversation.on_button(english, forged)).notice == texts.EXPIRED


def test_language_guess_is_only_made_when_clear() -> None:
    assert regions.guess_language("这个是骗局吗") == "zh-Hans"
    assert regions.guess_language("這個是騙局嗎") == "zh-Hant"
    assert regions.guess_language("is this a scam") == "en"
    assert regions.guess_language("刷单") is None  # the same in both scripts
    assert regions.guess_language("😀 123") is None


async def test_scammed_and_sextortion_paths_tell_under_18s_early(
    conversation: Conversation, kb: KnowledgeBase
) -> None:
    for entry_id, note in (
        ("if-you-were-scammed", entry_views.UNDER_18),
        ("video-chat-blackmail", entry_views.UNDER_18_SEXTORTION),
    ):
        [reply] = (await conversation.on_button(WHO, f"e:{entry_id}")).replies
        text = reply.plain_text()
        assert note in text and text.index(note) < 700, entry_id
        assert "trust" in note and "not in trouble" in note.replace("not the one in", "not in")
    [welcome] = await conversation.on_command(WHO, "start")
    scammed = next(b.action for row in welcome.buttons for b in row if "scammed" in b.label)
    [report] = (await conversation.on_button(WHO, scammed)).replies
    assert entry_views.UNDER_18 in report.plain_text()


async def test_groups_and_inline_get_the_short_answer_and_a_deep_link(
    conversation: Conversation, kb: KnowledgeBase
) -> None:
    conversation.bot_username = "RealScamWiseBot"
    entry = kb.get("task-scam")
    group = Who(user_id=42, chat_id=-100, group=True)
    [reply] = await conversation.on_text(group, "pay to like videos")
    assert reply.plain_text().startswith(f"{entry.title}\n\n{entry.short}")
    [[button]] = reply.buttons
    assert button.url == "https://t.me/RealScamWiseBot?start=topic-task-scam"
    [article] = await conversation.inline("pay to like videos")
    text = "".join(s.text for s in article.text)
    assert entry.short in text and entry.answer not in text
    assert "https://t.me/RealScamWiseBot?start=topic-task-scam" in text


def test_plurals() -> None:
    assert texts.plural(1, "record") == "1 record" and texts.plural(3, "record") == "3 records"
    assert texts.plural(0, "question") == "0 questions"
    assert texts.FORGET_DONE.format(records=texts.plural(1, "record")).endswith("(1 record).")


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
    for _attempt in range(2):
        guard.check(7)
    assert guard.check(7) is Verdict.NOTICE and guard.check(7) is Verdict.DROP


def test_flood_state_forgets_idle_users_without_a_count_limit() -> None:
    now = [0.0]
    guard = FloodGuard(limit=2, window=10.0, clock=lambda: now[0])
    for user in range(50_000):  # 50 new users a second for 1,000 s
        now[0] = user / 50
        guard.check(user)
    assert len(guard) <= 2 * 10 * 50  # users seen in the last two windows at most
