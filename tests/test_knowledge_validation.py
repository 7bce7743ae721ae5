"""The knowledge loader reports every problem with the right file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import KnowledgeError, Problem
from bot.knowledge.loader import content_hash, load_knowledge
from bot.knowledge.yaml_lines import FieldChecker, LineDict, parse_yaml

SOURCES = """\
- id: src-one
  title: "First source"
  publisher: "Some police"
  date: "2023-08"

- id: src-two
  title: "Second source"
  publisher: "A regulator"
  date: "2024"
  url: "https://example.org/two"
"""

ANSWER = (
    "A task scam pays you small amounts for simple online tasks, such as liking videos, "
    "and then asks you to pay money to unlock bigger tasks with bigger rewards. The payments "
    "grow and the withdrawals stop. Any job that makes you pay to earn is a scam, so stop "
    "paying and report it."
)  # 53 words

# A scam entry needs at least four example messages; they end the template (lines 18-22),
# after its short answer (line 17).
EXAMPLES = """\
  examples:
    - Hi dear, like 3 videos and earn 150 today!
    - Top up 500 to unlock your commission.
    - Your account is frozen, pay 800 to withdraw.
    - Add our task manager on Telegram to continue.
"""

# Line numbers of this template are used by the tests below (1-based).
ENTRY = """\
- id: task-scam
  topic: jobs
  title: Task scams
  questions:
    - What is a task scam?
    - Is liking videos for money a scam?
    - They paid me small amounts first, is it real?
    - Why do I have to pay to unlock the next task?
  answer: >-
    ANSWER
  red_flags:
    - You must pay before you can earn.
  what_to_do:
    - Stop paying and keep the chat records.
  sources:
    - src-one
  short: A job that makes you pay to earn is a scam. Stop paying.
EXAMPLES""".replace("ANSWER", ANSWER).replace("EXAMPLES", EXAMPLES)

FILE = "kb/entries/jobs.yaml"


def make_kb(tmp_path: Path, entries: dict[str, str], sources: str = SOURCES) -> Path:
    """Write a knowledge folder `kb` with sources.yaml and the given entry files."""
    directory = tmp_path / "kb"
    (directory / "entries").mkdir(parents=True)
    (directory / "sources.yaml").write_text(sources, encoding="utf-8")
    for name, text in entries.items():
        (directory / "entries" / name).write_text(text, encoding="utf-8")
    return directory


def problems_of(directory: Path) -> list[Problem]:
    """The problems that loading the folder raises (it must raise)."""
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory)
    return info.value.problems


def only(problems: list[Problem], field: str) -> Problem:
    """The single problem about `field`."""
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, problems
    return found[0]


def jobs(tmp_path: Path, old: str, new: str) -> list[Problem]:
    """Problems of a folder whose one entry has `old` replaced by `new`."""
    assert old in ENTRY
    return problems_of(make_kb(tmp_path, {"jobs.yaml": ENTRY.replace(old, new, 1)}))


def test_valid_folder_loads_with_entry_fields(tmp_path: Path) -> None:
    second = ENTRY.replace("id: task-scam", "id: other-scam").replace("- src-one", "- src-two")
    kb = load_knowledge(make_kb(tmp_path, {"jobs.yaml": ENTRY + "\n" + second}))
    assert [e.id for e in kb.entries] == ["task-scam", "other-scam"]
    entry = kb.entries[0]
    assert (entry.file, entry.line) == (FILE, 1)
    assert kb.entries[1].line == 24
    assert entry.topic == "jobs" and entry.title == "Task scams"
    assert entry.questions[0] == "What is a task scam?" and len(entry.questions) == 4
    assert isinstance(entry.questions, tuple) and isinstance(entry.sources, tuple)
    assert entry.answer == ANSWER
    assert entry.red_flags == ("You must pay before you can earn.",)
    assert entry.sources == ("src-one",)
    assert entry.tags == () and entry.related == () and entry.zh is None
    assert kb.sources["src-two"].url == "https://example.org/two"
    assert kb.sources["src-one"].date == "2023-08"
    assert kb.get("other-scam") is kb.entries[1]


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    broken = ENTRY.replace("  title: Task scams", "  title: Task scams\n bad: indent")
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": broken}))
    assert len(problems) == 1
    assert problems[0].file == FILE and problems[0].line == 4
    assert "invalid YAML" in problems[0].message


def test_a_control_character_after_chinese_names_its_own_line() -> None:
    """libyaml counts bytes: the line must still be the one the character is on."""
    problems: list[Problem] = []
    text = "title: 刷单返利\nzh: 冒充公检法，杀猪盘\nnote: ok\nbad: a\x07b\nlast: 1\n"
    assert parse_yaml(text, "f.yaml", problems) is None
    assert problems == [
        Problem("f.yaml", 4, "", "invalid YAML: control character U+0007 is not allowed")
    ]


def test_unknown_key_suggests_closest(tmp_path: Path) -> None:
    problems = jobs(tmp_path, "  answer: >-", "  anwser: >-")
    typo = only(problems, "anwser")
    assert (typo.file, typo.line) == (FILE, 9)
    assert typo.message == "unknown key 'anwser' (did you mean 'answer'?)"
    missing = only(problems, "answer")
    assert missing.line == 1 and "missing" in missing.message


def test_unknown_key_without_close_match_has_no_hint(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "  title: Task scams", "  title: T\n  colour: red"), "colour")
    assert problem.line == 4 and problem.message == "unknown key 'colour'"


def test_missing_field_is_reported_at_the_item(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "  title: Task scams\n", ""), "title")
    assert (problem.file, problem.line, problem.message) == (FILE, 1, "missing required field")


def test_empty_fields(tmp_path: Path) -> None:
    text = ENTRY.replace("title: Task scams", 'title: ""').replace(
        "  what_to_do:\n    - Stop paying and keep the chat records.\n", "  what_to_do: []\n"
    )
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": text}))
    assert only(problems, "title").line == 3
    assert "must not be empty" in only(problems, "title").message
    assert only(problems, "what_to_do").line == 13
    assert "must not be empty" in only(problems, "what_to_do").message


def test_empty_list_item(tmp_path: Path) -> None:
    problem = only(
        jobs(tmp_path, "    - You must pay", '    - ""\n    - You must pay'), "red_flags[0]"
    )
    assert problem.line == 12 and "must not be empty" in problem.message


def test_wrong_types_are_reported_not_crashed(tmp_path: Path) -> None:
    text = ENTRY.replace("title: Task scams", "title: 42").replace(
        "  sources:\n    - src-one", "  sources: src-one"
    )
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": text}))
    assert only(problems, "title").line == 3
    assert "expected text, got a number" in only(problems, "title").message
    assert only(problems, "sources").line == 15
    assert "expected a list, got text" in only(problems, "sources").message


def test_unquoted_colon_in_list_item_gets_a_hint(tmp_path: Path) -> None:
    problem = only(
        jobs(tmp_path, "You must pay before", "Warning: you must pay before"), "red_flags[0]"
    )
    assert problem.line == 12
    assert "expected text, got a mapping" in problem.message and "quoted" in problem.message


def test_entry_file_must_be_a_list(tmp_path: Path) -> None:
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": "id: task-scam\n"}))
    assert len(problems) == 1
    assert (problems[0].file, problems[0].line) == (FILE, 1)
    assert "expected a list of entries" in problems[0].message


def test_item_that_is_not_a_mapping(tmp_path: Path) -> None:
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": ENTRY + "- just text\n"}))
    assert len(problems) == 1 and problems[0].line == 23
    assert "expected a mapping" in problems[0].message


def test_duplicate_id_across_files_names_both_places(tmp_path: Path) -> None:
    other = "# a comment\n" + ENTRY
    problems = problems_of(make_kb(tmp_path, {"a.yaml": ENTRY, "b.yaml": other}))
    problem = only(problems, "id")
    assert (problem.file, problem.line) == ("kb/entries/b.yaml", 2)
    assert "duplicate entry id 'task-scam'" in problem.message
    assert "kb/entries/a.yaml:1" in problem.message
    assert "kb/entries/b.yaml:2" in str(problem) and "kb/entries/a.yaml:1" in str(problem)


def test_unknown_source_id(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "    - src-one", "    - src-onee"), "sources[0]")
    assert (problem.file, problem.line) == (FILE, 16)
    assert "unknown source id 'src-onee'" in problem.message
    assert "did you mean 'src-one'?" in problem.message


def test_unknown_and_self_related_ids(tmp_path: Path) -> None:
    related = "  related:\n    - task-scam\n    - no-such-entry\n"
    problems = jobs(tmp_path, "  sources:\n", related + "  sources:\n")
    assert only(problems, "related[0]").line == 16
    assert "itself" in only(problems, "related[0]").message
    assert only(problems, "related[1]").line == 17
    assert "unknown entry id 'no-such-entry'" in only(problems, "related[1]").message


def test_related_id_in_another_file_is_accepted(tmp_path: Path) -> None:
    first = ENTRY.replace("  sources:\n", "  related: [other-scam]\n  sources:\n")
    second = ENTRY.replace("id: task-scam", "id: other-scam")
    kb = load_knowledge(make_kb(tmp_path, {"a.yaml": first, "b.yaml": second}))
    assert kb.entries[0].related == ("other-scam",)
    assert [e.file for e in kb.entries] == ["kb/entries/a.yaml", "kb/entries/b.yaml"]


def test_answer_over_the_word_limit(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, ANSWER, " ".join(["word"] * 181)), "answer")
    assert problem.line == 9 and "181 words" in problem.message and "40-180" in problem.message


def test_answer_under_the_word_limit(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, ANSWER, "Too short to help anyone."), "answer")
    assert problem.line == 9 and "5 words" in problem.message


def test_answer_at_the_limits_is_accepted(tmp_path: Path) -> None:
    for count in (40, 180):
        folder = tmp_path / str(count)
        folder.mkdir()
        text = ENTRY.replace(ANSWER, " ".join(["word"] * count))
        assert (
            len(load_knowledge(make_kb(folder, {"jobs.yaml": text})).entries[0].answer.split())
            == count
        )


def test_answer_must_be_plain_text(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "simple online tasks", "<b>simple</b> online tasks"), "answer")
    assert problem.line == 9 and "<b>" in problem.message


def test_too_few_questions(tmp_path: Path) -> None:
    problem = only(
        jobs(tmp_path, "    - Why do I have to pay to unlock the next task?\n", ""), "questions"
    )
    assert problem.line == 4 and "at least 4" in problem.message and "got 3" in problem.message


def test_duplicate_question_after_folding(tmp_path: Path) -> None:
    old = "Why do I have to pay to unlock the next task?"
    problem = only(jobs(tmp_path, old, "  what is a TASK   scam?"), "questions[3]")
    assert problem.line == 8 and "questions[0]" in problem.message


def test_bad_topic(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "topic: jobs", "topic: job"), "topic")
    assert problem.line == 2
    assert "unknown value 'job'" in problem.message and "did you mean 'jobs'?" in problem.message


def test_bad_kebab_id(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "id: task-scam", "id: Task_Scam"), "id")
    assert (problem.line, problem.file) == (1, FILE) and "kebab-case" in problem.message


def test_red_flags_may_be_empty_only_for_non_scam_topics(tmp_path: Path) -> None:
    text = ENTRY.replace("  red_flags:\n    - You must pay before you can earn.\n", "")
    text = text.replace("  sources:\n    - src-one\n", "  sources: []\n")
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": text}))
    assert [(p.field, p.line) for p in problems] == [("red_flags", 1)]
    about = tmp_path / "about"
    about.mkdir()
    kb = load_knowledge(
        make_kb(about, {"about.yaml": text.replace("topic: jobs", "topic: about")})
    )
    assert kb.entries[0].red_flags == () and kb.entries[0].sources == ()
    help_dir = tmp_path / "help"
    help_dir.mkdir()
    kb = load_knowledge(make_kb(help_dir, {"h.yaml": text.replace("topic: jobs", "topic: help")}))
    assert kb.entries[0].sources == ()


def test_sources_may_be_an_empty_list_but_not_left_out(tmp_path: Path) -> None:
    """General advice cites nothing (`sources: []`); leaving the key out is still an error."""
    empty = ENTRY.replace("  sources:\n    - src-one\n", "  sources: []\n")
    assert load_knowledge(make_kb(tmp_path, {"jobs.yaml": empty})).entries[0].sources == ()
    missing = tmp_path / "missing"
    missing.mkdir()
    text = ENTRY.replace("  sources:\n    - src-one\n", "")
    problem = only(problems_of(make_kb(missing, {"jobs.yaml": text})), "sources")
    assert problem.line == 1 and "missing" in problem.message


def test_duplicate_key_in_one_mapping(tmp_path: Path) -> None:
    problem = only(jobs(tmp_path, "  topic: jobs\n", "  topic: jobs\n  topic: crypto\n"), "topic")
    assert problem.line == 3 and "first at line 2" in problem.message


def test_zh_block_is_validated(tmp_path: Path) -> None:
    zh = (
        "  zh:\n    title: 刷单诈骗\n    answer: 先付钱才能赚钱的工作都是诈骗。\n"
        "    red_flags: 要先付钱\n    tone: x\n"
    )
    problems = jobs(tmp_path, "  sources:\n", zh + "  sources:\n")
    assert only(problems, "zh.red_flags").line == 18
    assert "expected a list" in only(problems, "zh.red_flags").message
    assert only(problems, "zh.tone").line == 19
    assert "missing" in only(problems, "zh.questions").message
    assert "missing" in only(problems, "zh.short").message


ZH_OK = (
    "  zh:\n    title: 刷单\n    short: 先交钱的工作是诈骗。\n    answer: 不要付钱。\n"
    "    questions: [刷单是诈骗吗, 点赞赚钱靠谱吗, 做任务返佣金是真的吗, 兼职要先垫付吗]\n"
    "  sources:\n"
)


def test_a_full_zh_block_loads(tmp_path: Path) -> None:
    entry = load_knowledge(make_kb(tmp_path, {"jobs.yaml": ENTRY.replace("  sources:\n", ZH_OK)}))
    zh = entry.entries[0].zh
    assert zh is not None and (zh.title, zh.red_flags) == ("刷单", ())
    assert zh.short == "先交钱的工作是诈骗。"
    assert zh.questions[1] == "点赞赚钱靠谱吗" and len(zh.questions) == 4


def test_zh_lists_match_the_english_item_for_item(tmp_path: Path) -> None:
    text = ENTRY.replace("  sources:\n", ZH_OK).replace(
        "    questions: [", "    what_to_do: [一, 二, 三, 四, 五, 六, 七]\n    questions: ["
    )
    problem = only(problems_of(make_kb(tmp_path, {"jobs.yaml": text})), "zh.what_to_do")
    assert "has 7 item(s); the English what_to_do has" in problem.message


def test_numbers_and_links_must_match_between_languages(tmp_path: Path) -> None:
    english = ENTRY.replace("  sources:\n", ZH_OK).replace(
        "A job that makes you pay to earn is a scam. Stop paying.",
        "Call 96110 or see scam.gov.hk, 62.1% of victims.",
    )
    wrong = "short: 打96111，或看scam.gov.hk，62.1%的人。"
    text = english.replace("short: 先交钱的工作是诈骗。", wrong)
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": text}))
    problem = only(problems, "zh.short")
    assert "lacks 96110" in problem.message and "has 96111" in problem.message
    assert "62.1%" not in problem.message and "scam.gov.hk" not in problem.message


def test_source_rules(tmp_path: Path) -> None:
    sources = SOURCES.replace('date: "2024"', 'date: "2024-13"') + (
        "\n- id: src-one\n  title: Again\n  publisher: P\n  date: 2023-05-07\n  publsher: x\n"
    )
    problems = problems_of(make_kb(tmp_path, {"jobs.yaml": ENTRY}, sources))
    assert only(problems, "date").line == 9 and "2024-13" in only(problems, "date").message
    duplicate = only(problems, "id")
    assert duplicate.line == 12 and "kb/sources.yaml:1" in duplicate.message
    assert "did you mean 'publisher'?" in only(problems, "publsher").message
    assert {p.file for p in problems} == {"kb/sources.yaml"}


def test_unquoted_source_date_becomes_iso_text(tmp_path: Path) -> None:
    sources = SOURCES.replace('date: "2023-08"', "date: 2023-08-06")
    kb = load_knowledge(make_kb(tmp_path, {"jobs.yaml": ENTRY}, sources))
    assert kb.sources["src-one"].date == "2023-08-06"


def test_several_errors_in_one_run_sorted(tmp_path: Path) -> None:
    bad_entry = ENTRY.replace("topic: jobs", "topic: nope").replace("- src-one", "- missing")
    bad_sources = SOURCES.replace('publisher: "A regulator"', "publisher: [1]")
    directory = make_kb(tmp_path, {"a.yaml": bad_entry, "b.yaml": "- [unclosed\n"}, bad_sources)
    problems = problems_of(directory)
    places = [(p.file, p.line, p.field) for p in problems]
    assert places == [
        ("kb/entries/a.yaml", 2, "topic"),
        ("kb/entries/a.yaml", 16, "sources[0]"),
        ("kb/entries/b.yaml", 2, ""),
        ("kb/sources.yaml", 8, "publisher"),
    ]


def test_non_utf8_file_is_a_problem_and_others_still_checked(tmp_path: Path) -> None:
    directory = make_kb(tmp_path, {"b.yaml": ENTRY.replace("topic: jobs", "topic: x")})
    (directory / "entries" / "a.yaml").write_bytes(b"- id: a\n  title: ok\n  answer: caf\xe9\n")
    problems = problems_of(directory)
    latin = [p for p in problems if p.file == "kb/entries/a.yaml"]
    assert len(latin) == 1 and latin[0].line == 3 and "UTF-8" in latin[0].message
    assert only(problems, "topic").file == "kb/entries/b.yaml"


def test_missing_sources_file_and_no_entries(tmp_path: Path) -> None:
    directory = tmp_path / "kb"
    directory.mkdir()
    problems = problems_of(directory)
    assert {p.file for p in problems} == {"kb/sources.yaml", "kb/entries"}


def test_content_hash_ignores_comments_but_not_content(tmp_path: Path) -> None:
    base = content_hash(load_knowledge(make_kb(tmp_path / "a", {"jobs.yaml": ENTRY})))
    commented = "# comment only\n" + ENTRY.replace("  topic: jobs", "  topic: jobs  # note")
    same = content_hash(load_knowledge(make_kb(tmp_path / "b", {"jobs.yaml": commented})))
    changed_text = ENTRY.replace("report it.", "report it now.")
    changed = content_hash(load_knowledge(make_kb(tmp_path / "c", {"jobs.yaml": changed_text})))
    assert len(base) == 64
    assert same == base
    assert changed != base


def test_field_checker_generic_helpers() -> None:
    problems: list[Problem] = []
    doc = parse_yaml(
        "q:\n  n: 7\n  ok: yes\n  opts:\n    - a: 1\n    - x\n", "quiz.yaml", problems
    )
    assert doc is not None and isinstance(doc.data, LineDict)
    quiz = FieldChecker("quiz.yaml", doc.data, problems).sub("q", required=True)
    assert quiz is not None
    assert quiz.integer("n", low=0, high=5) is None
    assert quiz.boolean("ok") is True
    options = quiz.items("opts")
    assert len(options) == 1 and options[0].integer("a") == 1
    assert [(p.line, p.field) for p in problems] == [(2, "q.n"), (6, "q.opts[1]")]


def test_real_knowledge_folder_validates() -> None:
    directory = Path(__file__).parent.parent / "knowledge"
    kb = load_knowledge(directory)
    assert kb.entries and kb.sources
    assert all(source in kb.sources for entry in kb.entries for source in entry.sources)


def test_short_answer_and_examples_load(tmp_path: Path) -> None:
    kb = load_knowledge(make_kb(tmp_path, {"jobs.yaml": ENTRY}))
    entry = kb.entries[0]
    assert entry.short == "A job that makes you pay to earn is a scam. Stop paying."
    assert entry.examples[1] == "Top up 500 to unlock your commission."
    assert len(entry.examples) == 4


def test_short_answer_over_the_word_limit(tmp_path: Path) -> None:
    short = "  short: A job that makes you pay to earn is a scam. Stop paying.\n"
    text = ENTRY.replace(short, "  short: " + " ".join(["word"] * 51) + "\n")
    problem = only(problems_of(make_kb(tmp_path, {"jobs.yaml": text})), "short")
    assert (problem.file, problem.line) == (FILE, 17) and "51 words" in problem.message


def test_short_answer_is_required(tmp_path: Path) -> None:
    short = "  short: A job that makes you pay to earn is a scam. Stop paying.\n"
    problem = only(jobs(tmp_path, short, ""), "short")
    assert (problem.file, problem.line, problem.message) == (FILE, 1, "missing required field")


def test_repeated_example_is_reported(tmp_path: Path) -> None:
    repeat = "    - Hi dear, like 3 videos and earn 150 today!\n"
    text = ENTRY.replace("    - Top up 500 to unlock your commission.\n", repeat)
    problem = only(problems_of(make_kb(tmp_path, {"jobs.yaml": text})), "examples[1]")
    assert problem.line == 20 and "listed twice" in problem.message


@pytest.mark.parametrize("topic", ["jobs", "crypto", "ai", "blockchain", "fraud"])
def test_scam_entry_without_examples_is_rejected(tmp_path: Path, topic: str) -> None:
    text = ENTRY.replace(EXAMPLES, "").replace("topic: jobs", f"topic: {topic}")
    problem = only(problems_of(make_kb(tmp_path, {"jobs.yaml": text})), "examples")
    assert (problem.file, problem.line) == (FILE, 1)
    assert problem.message == "missing required field; a scam entry needs at least 4 examples"


def test_scam_entry_with_too_few_examples_names_the_field_and_line(tmp_path: Path) -> None:
    text = ENTRY.replace("    - Add our task manager on Telegram to continue.\n", "")
    problem = only(problems_of(make_kb(tmp_path, {"jobs.yaml": text})), "examples")
    assert (problem.file, problem.line) == (FILE, 18)
    assert problem.message == "needs at least 4 item(s), got 3"


@pytest.mark.parametrize("topic", ["help", "context", "about"])
def test_non_scam_entries_need_no_examples(tmp_path: Path, topic: str) -> None:
    bare = ENTRY.replace(EXAMPLES, "").replace("topic: jobs", f"topic: {topic}")
    one = bare + "  examples:\n    - Only one example is fine here.\n"
    kb = load_knowledge(make_kb(tmp_path / "one", {"jobs.yaml": one}))
    assert kb.entries[0].examples == ("Only one example is fine here.",)
    assert (
        load_knowledge(make_kb(tmp_path / "bare", {"jobs.yaml": bare})).entries[0].examples == ()
    )


# --- translations: a folder whose languages.yaml names zh-Hans needs every zh block -----------

BILINGUAL_SOURCES = """\
- id: src-one
  title: "First source"
  publisher: "Some police"
  date: "2023-08"
  zh:
    title: "第一份资料"
    publisher: "某地警方"

- id: src-two
  title: "Second source, 2024"
  publisher: "A regulator"
  date: "2024"
  url: "https://example.org/two"
  zh:
    title: "第二份资料（2024年）"
    publisher: "某监管机构"

- id: src-notes
  title: "Our notes"
  publisher: "ScamWise team"
  date: "2026"
  kind: internal
"""
ENTRY_ZH = ENTRY.replace("  sources:\n", ZH_OK)


def bilingual(tmp_path: Path, entry: str = ENTRY_ZH, sources: str = BILINGUAL_SOURCES) -> Path:
    directory = make_kb(tmp_path, {"jobs.yaml": entry}, sources)
    (directory / "languages.yaml").write_text("languages: [en, zh-Hans]\n", encoding="utf-8")
    return directory


def test_a_bilingual_folder_loads_with_its_chinese(tmp_path: Path) -> None:
    kb = load_knowledge(bilingual(tmp_path))
    assert kb.languages == ("en", "zh-Hans")
    zh = kb.sources["src-two"].zh
    assert zh is not None and (zh.title, zh.publisher) == ("第二份资料（2024年）", "某监管机构")
    assert kb.sources["src-notes"].zh is None  # never shown, so never translated


def test_a_folder_without_languages_file_is_english_only(tmp_path: Path) -> None:
    kb = load_knowledge(make_kb(tmp_path, {"jobs.yaml": ENTRY}))
    assert kb.languages == ("en",) and kb.sources["src-one"].zh is None


def test_a_shown_source_without_chinese_is_reported_with_its_line(tmp_path: Path) -> None:
    sources = BILINGUAL_SOURCES.replace(
        '  zh:\n    title: "第二份资料（2024年）"\n    publisher: "某监管机构"\n', ""
    )
    problem = only(problems_of(bilingual(tmp_path, sources=sources)), "zh")
    assert (problem.file, problem.line) == ("kb/sources.yaml", 9)
    assert "missing the Chinese translation: add zh: {title, publisher}" in problem.message


def test_source_translation_rules(tmp_path: Path) -> None:
    sources = BILINGUAL_SOURCES.replace("第二份资料（2024年）", "第二份资料（2025年）").replace(
        '    publisher: "某地警方"\n', '    publisher: ""\n    name: x\n'
    )
    problems = problems_of(bilingual(tmp_path, sources=sources))
    assert [(p.line, p.field) for p in problems] == [
        (7, "zh.publisher"),
        (8, "zh.name"),
        (16, "zh.title"),
    ]
    assert problems[0].message == "must not be empty"
    assert "lacks 2024 (in the English); has 2025" in problems[2].message


def test_an_entry_without_chinese_is_reported_when_entries_need_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.knowledge.validate.ENTRY_TRANSLATIONS_REQUIRED", True)
    second = ENTRY.replace("id: task-scam", "id: other-scam")
    problem = only(problems_of(bilingual(tmp_path, entry=ENTRY_ZH + "\n" + second)), "zh")
    assert (problem.file, problem.line) == (FILE, ENTRY_ZH.count("\n") + 2)
    assert "missing the Chinese translation: add zh: {title, short, questions" in problem.message
    assert load_knowledge(bilingual(tmp_path / "ok")).entries[0].zh is not None


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("languages: [en, zh-Hant]\n", 1, "languages[1]", "zh-Hant is generated from zh-Hans"),
        ("languages: [en, zh-CN]\n", 1, "languages[1]", "unknown language 'zh-CN'"),
        ("languages: [zh-Hans]\n", 1, "languages", "must include en"),
        ("languages:\n  - en\n  - en\n", 3, "languages[1]", "'en' is listed twice"),
        ("langs: [en]\n", 1, "langs", "unknown key 'langs' (did you mean 'languages'?)"),
        ("- en\n", 1, "", "expected a mapping with languages: [en, zh-Hans]"),
    ],
)
def test_languages_file_rules(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    directory = make_kb(tmp_path, {"jobs.yaml": ENTRY})
    (directory / "languages.yaml").write_text(text, encoding="utf-8")
    problems = [p for p in problems_of(directory) if p.file == "kb/languages.yaml"]
    assert [(p.line, p.field) for p in problems][:1] == [(line, field)], problems
    assert message in problems[0].message


def test_the_real_folder_is_bilingual_and_every_shown_source_has_its_chinese() -> None:
    kb = load_knowledge(Path(__file__).parent.parent / "knowledge")
    assert kb.languages == ("en", "zh-Hans")
    shown = [s for s in kb.sources.values() if s.shown]
    assert len(shown) >= 30 and all(s.zh is not None for s in shown)
    assert all(s.zh is None for s in kb.sources.values() if not s.shown)


def test_zh_amounts_compare_by_value_and_a_wrong_one_is_reported(tmp_path: Path) -> None:
    english = ENTRY.replace("  sources:\n", ZH_OK).replace(
        "A job that makes you pay to earn is a scam. Stop paying.",
        "Up to 14 years and a HK$5 million fine.",
    )
    right = english.replace("short: 先交钱的工作是诈骗。", "short: 最高14年监禁，罚款500万港元。")
    assert load_knowledge(make_kb(tmp_path / "right", {"jobs.yaml": right})).entries[0].zh
    wrong = english.replace("short: 先交钱的工作是诈骗。", "short: 最高十四年监禁，罚款50万港元。")
    problem = only(problems_of(make_kb(tmp_path / "wrong", {"jobs.yaml": wrong})), "zh.short")
    assert (
        problem.line == wrong.splitlines().index("    short: 最高十四年监禁，罚款50万港元。") + 1
    )
    assert "lacks 14, 5 million (= 5000000)" in problem.message
    assert "has 50万 (= 500000)" in problem.message
