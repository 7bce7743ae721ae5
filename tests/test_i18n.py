"""The conversation in the user's language: choice, catalogue, Traditional, Telegram, console."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.console import ConsoleChat
from bot.conversation import entry_views, texts
from bot.conversation.actions import MAX_ACTION_BYTES, parse
from bot.conversation.core import Conversation
from bot.conversation.replies import Reply, Who
from bot.errors import KnowledgeError
from bot.i18n import _, speaking
from bot.i18n.catalog import LOCALE_DIR, po_path
from bot.i18n.check import check_all
from bot.i18n.choose import from_language_code, written_language
from bot.i18n.hant import Traditional, load_overrides, variant_for
from bot.knowledge.localize import entry_text
from bot.knowledge.models import KnowledgeBase
from bot.search.results import SearchResult
from tests.conftest import KNOWLEDGE
from tests.telegram_harness import BotUnderTest, Call, keyboard_data, started, telegram_settings

ENTRY = "task-scam"


class CharEmbedder:
    """Like the suite's hash embedder, but Chinese counts by character pairs (no spaces)."""

    name = "fake-hash-embedder"
    dim = 2048

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            chinese = re.sub(r"[^\u4e00-\u9fff]", "", text)
            words += [chinese[i : i + 2] for i in range(max(len(chinese) - 1, 0))]
            for word in words:
                out[row, hashlib.sha256(word.encode()).digest()[0] * 8 % self.dim] += 1.0
                out[
                    row, int.from_bytes(hashlib.sha256(word.encode()).digest()[1:3]) % self.dim
                ] += 1
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


def with_zh_questions(kb: KnowledgeBase) -> KnowledgeBase:
    """The knowledge base with each entry's zh questions among its questions (for the index)."""
    entries = tuple(
        replace(e, questions=e.questions + (e.zh.questions if e.zh else ())) for e in kb.entries
    )
    return replace(kb, entries=entries)


@pytest.fixture(scope="module")
def zh_search(kb: KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A search that finds entries from their English and their Chinese questions."""
    from bot.search.config import LanguageTuning, RetrievalConfig
    from bot.search.embedder import DEFAULT_MODEL
    from bot.search.index import load_index
    from bot.search.indexing import build_index
    from bot.search.retriever import Retriever

    both = with_zh_questions(kb)
    out = tmp_path_factory.mktemp("zh-index")
    embedder = CharEmbedder()
    build_index(both, embedder, out, DEFAULT_MODEL)
    index, _meta = load_index(out)
    # The fake's scores are not e5's (character pairs score lower than MiniLM's cosines): a
    # threshold and margin of its own, so these tests check the language, not the ranking.
    config = RetrievalConfig(
        ambiguity_margin=0.01, languages={"zh": LanguageTuning(threshold=0.3)}
    )
    retriever = Retriever(both, index, embedder, config)

    async def search(query: str, k: int) -> SearchResult:
        return retriever.search(query, k=k)

    return search


@pytest.fixture
def entry(kb: KnowledgeBase) -> Any:
    found = kb.get(ENTRY)
    assert found is not None and found.zh is not None, "the entry needs its zh block"
    return found


async def conversation_on(tmp_path: Path, kb: KnowledgeBase, search: Any) -> Any:
    from bot.storage.store import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    traditional = Traditional(load_overrides(KNOWLEDGE))
    return Conversation(kb, search, store, traditional=traditional), store


def entry_ids(reply: Reply, kb: KnowledgeBase) -> list[str]:
    """The entry ids a reply's buttons lead to, in order."""
    ids = []
    for row in reply.buttons:
        for button in row:
            action = parse(button.action) if button.action else None
            if action is None:
                continue
            ids += [a for a in (action.arg, action.arg2) if kb.get(a) is not None]
    return ids


# --- choosing the language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("zh", "zh-Hans"), ("zh-hans", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-hk", "zh-Hant"),
        ("zh-TW", "zh-Hant"), ("zh-hant", "zh-Hant"), ("en", "en"), ("en-GB", "en"),
        ("de", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_language_codes_map_to_tags(code: str | None, lang: str | None) -> None:
    assert from_language_code(code) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("刷单返利是不是骗局", "zh-Hans"), ("搵工俾按金係唔係呃人", "zh-Hant"),
        ("網購賣家要我先匯款", "zh-Hant"), ("is this job offer real", "en"),
        ("USDT?", None), ("ok", None), ("😀 123", None), ("tg上有人叫我刷单", "zh-Hans"),
        ("USDT是什么", "zh-Hans"), ("vx加我", "zh-Hans"), ("is 刷单返利 a scam or not", "en"),
    ],
)  # fmt: skip
def test_the_written_language_is_read_from_the_message(text: str, lang: str | None) -> None:
    assert written_language(text) == lang


def test_the_traditional_variant_follows_region_then_language_code() -> None:
    assert variant_for("hk", "zh-tw") == "hk"
    assert variant_for("tw", "") == "tw"
    assert variant_for(None, "zh-hk") == "hk"
    assert variant_for(None, "zh-TW") == "tw"
    assert variant_for("uk", "zh-hant") == "hant"


# --- the catalogue ----------------------------------------------------------------------------


def test_the_catalogue_translates_every_text_and_keeps_numbers_and_commands() -> None:
    assert check_all() == []
    with speaking("zh-Hans"):
        assert _(texts.REPORT_POINTER) != texts.REPORT_POINTER and "/report" in _(
            texts.REPORT_POINTER
        )
        assert "500" in _(texts.WELCOME)
        assert texts.records(3) == "3 条记录"
    with speaking("en"):
        assert texts.records(1) == "1 record" and texts.records(3) == "3 records"


def _copy_locale(tmp_path: Path) -> Path:
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    return locale


def _line_of(po: Path, msgid: str) -> int:
    lines = po.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line == f'msgid "{msgid}"')


def test_the_catalogue_check_fails_on_a_missing_translation(tmp_path: Path) -> None:
    locale = _copy_locale(tmp_path)
    po = po_path("zh-Hans", locale)
    text = po.read_text(encoding="utf-8")
    msgid = texts.FEEDBACK_THANKS
    translated = f'msgid "{msgid}"\nmsgstr "谢谢你的反馈！"'
    assert translated in text
    po.write_text(text.replace(translated, f'msgid "{msgid}"\nmsgstr ""'), encoding="utf-8")
    problems = check_all(locale_dir=locale)
    assert len(problems) == 1
    [problem] = problems
    assert problem.file.endswith("zh_Hans/LC_MESSAGES/messages.po")
    assert problem.line == _line_of(po, msgid)
    assert "is empty" in problem.message and "Thanks for the feedback" in problem.message


def test_the_catalogue_check_fails_on_a_changed_number_command_or_placeholder(
    tmp_path: Path,
) -> None:
    locale = _copy_locale(tmp_path)
    po = po_path("zh-Hans", locale)
    text = po.read_text(encoding="utf-8")
    for old, new in (("发 /report 看看", "发 /help 看看"), ("一天给500", "一天给五百")):
        assert old in text
        text = text.replace(old, new)
    text = text.replace(
        'msgstr "搞定：关于你的数据已经全部删除（{records}）。"', 'msgstr "搞定。"'
    )
    po.write_text(text, encoding="utf-8")
    said = [str(p) for p in check_all(locale_dir=locale)]
    assert len(said) == 3, said
    assert any("lacks /report" in s and "has /help" in s for s in said)
    assert any("lacks 500" in s for s in said)
    assert any("lacks {records}" in s for s in said)
    assert all(re.match(r"^.*messages\.po:\d+: msgstr: ", s) for s in said)


def test_a_text_missing_from_the_catalogue_names_its_source_line(tmp_path: Path) -> None:
    locale = _copy_locale(tmp_path)
    po = po_path("zh-Hans", locale)
    text = po.read_text(encoding="utf-8")
    block = 'msgid "Cancel"\nmsgstr "取消"\n'
    assert block in text
    po.write_text(text.replace(block, ""), encoding="utf-8")
    [problem] = check_all(locale_dir=locale)
    assert problem.file == "bot/conversation/views.py" and problem.line > 0
    assert "'Cancel' is not in" in problem.message


def test_the_cli_check_passes_on_the_real_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["i18n", "check"]) == 0
    assert "each translated" in capsys.readouterr().out


# --- Traditional Chinese --------------------------------------------------------------------


def test_overrides_fix_what_opencc_gets_wrong_and_only_that() -> None:
    traditional = Traditional(load_overrides(KNOWLEDGE))
    plain = Traditional()
    text = "先转账到安全账户，再下载这个软件，国家反诈中心APP"
    assert plain.convert(text, "tw") == "先轉賬到安全賬戶，再下載這個軟體，國家反詐中心APP"
    assert traditional.convert(text, "tw") == "先轉帳到安全帳戶，再下載這個軟體，國家反詐中心APP"
    assert traditional.convert(text, "hk") == "先轉賬到安全帳戶，再下載這個軟件，國家反詐中心APP"
    assert traditional.convert("我收到一条信息", "tw") == "我收到一條訊息"
    assert (
        traditional.convert("你的个人信息", "tw") == "你的個人資訊"
    )  # information: OpenCC is right
    assert (
        traditional.convert("/quiz 500 https://a.example", "hk") == "/quiz 500 https://a.example"
    )


def test_override_file_errors_name_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "zh-hant-overrides.yaml").write_text(
        "- zh: 账号\n  tw: 帳號\n- zh: account\n  tw: x\n- zh: 转账\n- zh: 账号\n  hk: 帳號\n"
        "- zh: 软件\n  tw: 軟體\n  mo: x\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError) as caught:
        load_overrides(tmp_path, "knowledge/zh-hant-overrides.yaml")
    said = str(caught.value)
    assert "knowledge/zh-hant-overrides.yaml:3: zh: 'account' must be a Simplified" in said
    assert "knowledge/zh-hant-overrides.yaml:5: zh: needs at least one of: hk, tw, hant" in said
    assert (
        "knowledge/zh-hant-overrides.yaml:6: zh: '账号' is listed twice (first at line 1)" in said
    )
    assert "knowledge/zh-hant-overrides.yaml:10: mo: unknown key 'mo'" in said


# --- the conversation core --------------------------------------------------------------------


async def test_the_same_conversation_gives_the_same_entries_in_english_and_chinese(
    tmp_path: Path, kb: KnowledgeBase, zh_search: Any, entry: Any
) -> None:
    conversation, store = await conversation_on(tmp_path, kb, zh_search)
    transcripts = {}
    try:
        for lang, who, question in (
            ("en", Who(1, 1), entry.questions[0]),
            ("zh-Hans", Who(2, 2), entry.zh.questions[0]),
        ):
            [first] = await conversation.on_text(who, question)
            steps = [first]
            for data in (
                entry_views.view(ENTRY, entry_views.RED_FLAGS),
                entry_views.view(ENTRY, entry_views.WHAT_TO_DO),
                f"rs:hk:{ENTRY}",
                entry_views.view(ENTRY, entry_views.RELATED),
            ):
                outcome = await conversation.on_button(who, data)
                steps += outcome.replies
            related = next(b.action for row in steps[-1].buttons for b in row)
            steps += (await conversation.on_button(who, related)).replies
            transcripts[lang] = steps
            text = entry_text(entry, lang)
            assert steps[0].plain_text().startswith(text.title)
            assert text.red_flags[0] in steps[1].plain_text()
    finally:
        await store.close()
    english, chinese = transcripts["en"], transcripts["zh-Hans"]
    assert len(english) == len(chinese) == 6
    assert [entry_ids(r, kb) for r in english] == [entry_ids(r, kb) for r in chinese]
    assert entry_ids(english[0], kb)[0] == ENTRY
    assert english[0].plain_text() != chinese[0].plain_text()


async def test_deep_links_and_class_links_carry_the_language(
    tmp_path: Path, kb: KnowledgeBase, zh_search: Any, entry: Any
) -> None:
    conversation, store = await conversation_on(tmp_path, kb, zh_search)
    try:
        group = Who(5, -100, group=True)
        [reply] = await conversation.on_text(group, entry.zh.questions[0])
        url = reply.buttons[0][0].url
        assert url is not None and url.endswith(f"?start=zh-topic-{ENTRY}")
        english_user = Who(6, 6, language_code="en")
        [opened] = await conversation.on_command(english_user, "start", f"zh-topic-{ENTRY}")
        assert opened.plain_text().startswith(entry.zh.title)
        [plain_link] = await conversation.on_command(Who(7, 7), "start", f"topic-{ENTRY}")
        assert plain_link.plain_text().startswith(entry.title)
    finally:
        await store.close()


async def test_a_class_taught_in_either_language_counts_answers_together(
    tmp_path: Path, kb: KnowledgeBase, zh_search: Any
) -> None:
    from bot.quizzes.engine import QuizEngine
    from bot.quizzes.loader import load_quizzes
    from bot.storage.store import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    quizzes = load_quizzes(KNOWLEDGE / "quizzes", kb)
    quiz = next(q for q in quizzes.values() if q.zh is not None)
    conversation = Conversation(
        kb, zh_search, store, quizzes=QuizEngine(quizzes, store), bot_username="ClassBot"
    )
    try:
        teacher = Who(10, 10, language_code="zh-cn")
        created, *_rest = await conversation.on_command(teacher, "newclass", quiz.id)
        link = re.search(r"start=(zh-quiz-[\w-]+)", created.plain_text())
        assert link is not None and len(link[1]) <= 64, created.plain_text()
        assert quiz.zh is not None and quiz.zh.title in created.plain_text()
        code = link[1].rsplit("-", 1)[1]
        for who in (Who(11, 11, language_code="en"), Who(12, 12, language_code="en")):
            payload = link[1] if who.user_id == 11 else link[1].removeprefix("zh-")
            [step] = await conversation.on_command(who, "start", payload)
            for index, question in enumerate(quiz.questions):
                shown = step.plain_text()
                expected = question.zh.prompt if who.user_id == 11 else question.prompt
                assert question.zh is not None and expected in shown
                answer = f"qa:{parse(step.buttons[0][0].action).arg}:{index}.{question.answer}"  # type: ignore[union-attr]
                [verdict] = (await conversation.on_button(who, answer)).replies
                step = (await conversation.on_button(who, verdict.buttons[0][1].action)).replies[0]
        [results] = await conversation.on_command(teacher, "results", code)
        text = results.plain_text()
        assert "已做完：2" in text, text
        assert f"{len(quiz.questions)}/{len(quiz.questions)}: 2" in text
        assert results.image is not None and results.image.png.startswith(b"\x89PNG")
    finally:
        await store.close()


# --- Telegram ---------------------------------------------------------------------------------


@pytest.fixture
async def tg(
    tmp_path: Path, fake_index_dir: Path, kb: KnowledgeBase, zh_search: Any
) -> AsyncIterator[BotUnderTest]:
    from tests.conftest import FakeEmbedder

    settings = telegram_settings(tmp_path, fake_index_dir)
    async with started(settings, FakeEmbedder()) as bot:
        bot.services.conversation.replace_knowledge(kb, zh_search)
        yield bot


def _sent(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method in {"sendMessage", "editMessageText"}]


def _text(call: Call) -> str:
    """A sent message's text without its HTML."""
    return html.unescape(re.sub(r"<[^>]+>", "", call.params["text"]))


def _labels(call: Call) -> list[str]:
    return [b["text"] for row in keyboard_data(call) for b in row]


def _data(call: Call) -> list[str]:
    return [b["callback_data"] for row in keyboard_data(call) for b in row if "callback_data" in b]


async def test_a_chinese_question_gets_a_chinese_answer_and_chinese_buttons(
    tg: BotUnderTest, entry: Any
) -> None:
    [answer] = _sent(await tg.send(tg.updates.text(entry.zh.questions[1])))
    assert _text(answer).startswith(entry.zh.title)
    with speaking("zh-Hans"):
        wanted = [_(entry_views.RED_FLAGS_LABEL), _(entry_views.WHAT_TO_DO_LABEL)]
    assert _labels(answer)[:2] == wanted
    assert all(len(d.encode()) <= MAX_ACTION_BYTES for d in _data(answer))
    [section] = _sent(await tg.press(answer, _data(answer)[0]))
    assert entry.zh.red_flags[0] in _text(section)
    [english] = _sent(await tg.send(tg.updates.text(entry.questions[1])))
    assert _text(english).startswith(entry.title)
    assert _labels(english)[:2] == [entry_views.RED_FLAGS_LABEL, entry_views.WHAT_TO_DO_LABEL]
    assert _data(english) == _data(answer)  # the same entry, the same buttons


async def test_language_code_decides_when_the_message_does_not(tg: BotUnderTest) -> None:
    tg.updates.user["language_code"] = "zh-cn"
    [welcome] = _sent(await tg.send(tg.updates.command("start")))
    with speaking("zh-Hans"):
        assert html.unescape(welcome.params["text"]) == _(texts.WELCOME)
    tg.updates.user["language_code"] = "en"
    [help_] = _sent(await tg.send(tg.updates.command("help")))
    assert texts.HELP_TITLE in html.unescape(help_.params["text"])


async def test_traditional_output_for_a_zh_hk_user(tg: BotUnderTest, entry: Any) -> None:
    traditional = Traditional(load_overrides(KNOWLEDGE))
    tg.updates.user["language_code"] = "zh-hk"
    [welcome] = _sent(await tg.send(tg.updates.command("start")))
    with speaking("zh-Hans"):
        simplified = _(texts.WELCOME)
        browse = _("📚 Browse topics")
    shown = html.unescape(welcome.params["text"])
    assert shown == traditional.convert(simplified, "hk") != simplified
    assert "嗨！我是 ScamWise" in shown and "識破" in shown
    assert _labels(welcome)[0] == traditional.convert(browse, "hk")
    assert _data(welcome) == ["menu", "tip", "report", "quiz"]  # callback data is not converted
    [answer] = _sent(await tg.send(tg.updates.text(entry.zh.questions[0])))
    assert _text(answer).startswith(traditional.convert(entry.zh.title, "hk"))
    [asked] = _sent(await tg.press(answer, entry_views.view(ENTRY, entry_views.WHAT_TO_DO)))
    # Chose Taiwan: from now on the Taiwan phrase set, whatever the app's language_code.
    [steps] = _sent(await tg.press(asked, f"rs:tw:{ENTRY}"))
    tw_title = traditional.convert(entry.zh.title, "tw")
    assert tw_title != traditional.convert(entry.zh.title, "hk")  # 影片 in Taiwan, 視頻 in HK
    assert _text(steps).startswith(tw_title)


async def test_language_persists_across_a_restart_and_forgetme_deletes_it(
    tmp_path: Path, fake_index_dir: Path
) -> None:
    from tests.conftest import FakeEmbedder

    settings = telegram_settings(tmp_path, fake_index_dir)
    async with started(settings, FakeEmbedder()) as first:
        [menu] = _sent(await first.send(first.updates.command("language")))
        assert _labels(menu) == ["English", "简体中文", "繁體中文"]
        assert _data(menu) == ["lang:en", "lang:zh-Hans", "lang:zh-Hant"]
        [done] = _sent(await first.press(menu, "lang:zh-Hans"))
        assert done.method == "editMessageText"
        assert "好的，以后我用简体中文回答你" in done.params["text"]
    async with started(settings, FakeEmbedder()) as second:  # a new Application, same database
        [help_] = _sent(await second.send(second.updates.command("help")))
        with speaking("zh-Hans"):
            assert _(texts.HELP_TITLE) in help_.params["text"]
        [ask] = _sent(await second.send(second.updates.command("forgetme")))
        await second.press(ask, "fg:yes")
        [after] = _sent(await second.send(second.updates.command("help")))
        assert texts.HELP_TITLE in after.params["text"]


# --- console --------------------------------------------------------------------------------


async def test_console_transcript_in_chinese_exact(
    tmp_path: Path, kb: KnowledgeBase, zh_search: Any
) -> None:
    conversation, store = await conversation_on(tmp_path, kb, zh_search)
    chat = ConsoleChat(conversation, Who(1, 1, first_name="you", language_code="zh"))
    try:
        await _console_script(chat)
    finally:
        await store.close()


async def _console_script(chat: ConsoleChat) -> None:
    assert await chat.handle("  ") == [
        "打个问题，或者把收到的信息粘贴过来，也可以选个数字，或者发 /help。"
    ]
    assert await chat.handle("/language") == [
        "你想让我用哪种语言？\n  [1] English\n  [2] 简体中文\n  [3] 繁體中文"
    ]
    assert await chat.handle("9") == ["这里没有选项 9：从列表里选一个，1 到 3。"]
    assert await chat.handle("3") == ["好的，以後我用繁體中文回答你。想換隨時發 /language。"]
    assert await chat.handle("5") == ["現在沒有可選的：打個問題，或者發 /help。"]
    assert await chat.handle("/language") == [
        "你想讓我用哪種語言？\n  [1] English\n  [2] 简体中文\n  [3] 繁體中文"
    ]
    assert await chat.handle("1") == [
        "OK, I'll answer in English from now on. Change it any time with /language."
    ]


# --- the message check ------------------------------------------------------------------------


def test_the_check_report_speaks_chinese(kb: KnowledgeBase) -> None:
    from bot.checking.checker import UNCHECKED
    from bot.checking.result import CheckResult, FlagHit, LinkInfo, Span, TypeMatch, Verdict
    from bot.conversation.check_flow import check_reply

    link = LinkInfo(
        Span(0, 14, "http://bit.ly/x"), "bit.ly", "bit.ly",
        ("It is a shortened link: you cannot see where it really goes.",), risky=True,
    )  # fmt: skip
    flag = kb.flags[0]
    hit = FlagHit(flag.id, flag.name, flag.why, flag.severity, (Span(0, 4, "pay"),), "pattern")
    match = TypeMatch(ENTRY, "Task scams", 0.9, ("Stop paying.",))
    warned = CheckResult(Verdict.SCAM, (hit,), (match,), (link,), (), (), (), "pay", UNCHECKED)
    quiet = CheckResult(Verdict.NONE, (), (), (), (), (), (), "hello", UNCHECKED)
    with speaking("zh-Hans"):
        scam = check_reply(warned, kb).plain_text()
        none = check_reply(quiet, kb).plain_text()
        buttons = check_reply(warned, kb).button_labels()
    entry = kb.get(ENTRY)
    assert entry is not None and entry.zh is not None
    assert scam.startswith("🚨 这很像诈骗。") and "🚩 危险信号" in scam
    assert flag.zh_name and f"{flag.zh_name} — “pay”. {flag.zh_why}" in scam
    assert "这是个短链接" in scam and f"它最像：{entry.zh.title}" in scam
    assert entry.zh.what_to_do[0] in scam  # the entry's steps, in Chinese
    assert buttons[-1] == "🆘 去哪举报、打哪些热线"
    assert none.startswith("🔎 没发现危险信号") and "我没有点开任何链接" in none
    assert "I did not open" not in none and "Stop paying." not in scam


async def test_the_region_question_guesses_from_the_app_language_too(
    tmp_path: Path, kb: KnowledgeBase, zh_search: Any
) -> None:
    conversation, store = await conversation_on(tmp_path, kb, zh_search)
    try:
        [asked] = await conversation.on_command(Who(20, 20, language_code="zh-hk"), "report")
        actions = [b.action for row in asked.buttons for b in row]
        assert actions[:2] == ["rs:hk", "rs:tw"]
        assert "你在哪個地區" in asked.plain_text() and "香港" in asked.plain_text()
        [english] = await conversation.on_command(Who(21, 21, language_code="en-US"), "report")
        assert kb.regions is not None
        guessed = [f"rs:{r.id}" for r in kb.regions.guessed("en")]
        assert guessed and [b.action for row in english.buttons for b in row][: len(guessed)] == (
            guessed
        )
    finally:
        await store.close()


def test_flag_names_come_from_the_flag_zh_block_with_english_until_then(
    kb: KnowledgeBase,
) -> None:
    from types import SimpleNamespace

    from bot.checking.result import FlagHit, Span
    from bot.conversation.check_flow import flag_text

    flag = kb.flags[0]
    hit = FlagHit(flag.id, flag.name, flag.why, flag.severity, (Span(0, 3, "pay"),), "pattern")
    # flags.yaml's zh block gives Flag.zh_name / zh_why; a flag without one stays English.
    translated = SimpleNamespace(id=flag.id, zh_name="先交钱", zh_why="正规工作不会先收你的钱。")
    with_zh = replace(kb, flags=(translated,))
    without_zh = replace(kb, flags=(SimpleNamespace(id=flag.id, zh_name="", zh_why=""),))
    with speaking("zh-Hant"):
        assert flag_text(hit, with_zh) == ("先交钱", "正规工作不会先收你的钱。")
        assert flag_text(hit, without_zh) == (flag.name, flag.why)
    with speaking("en"):
        assert flag_text(hit, with_zh) == (flag.name, flag.why)


async def test_a_choice_made_on_another_replica_is_seen_within_the_ttl() -> None:
    from bot.i18n.choose import CHOICE_TTL_S, LanguageMemory

    class Shared:
        def __init__(self) -> None:
            self.rows: dict[int, str] = {}
            self.reads = 0

        async def get_language(self, user_id: int) -> str | None:
            self.reads += 1
            return self.rows.get(user_id)

        async def set_language(self, user_id: int, language: str) -> None:
            self.rows[user_id] = language

    now = [0.0]
    store = Shared()
    here, there = LanguageMemory(store, lambda: now[0]), LanguageMemory(store, lambda: now[0])
    assert await here.resolve(1, "") == "en"
    await there.choose(1, "zh-Hant")  # the other replica
    assert await here.resolve(1, "") == "en" and store.reads == 1  # cached, no second read
    now[0] += CHOICE_TTL_S + 1
    assert await here.resolve(1, "") == "zh-Hant"
    assert await there.resolve(1, "") == "zh-Hant" and store.reads == 3  # its own one expired
    here.forget(1)
    store.rows.clear()
    assert await here.resolve(1, "") == "en"
