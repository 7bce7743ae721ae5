"""regions.yaml: validated with file:line errors, and it states exactly the facts' lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge import validate
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import KnowledgeBase
from tests.conftest import KNOWLEDGE
from tests.test_knowledge_validation import BILINGUAL_SOURCES, ENTRY, ENTRY_ZH, make_kb

FACTS = Path("/work/shared/reference/facts.md")
HOTLINE = "Call 110 (mainland China), 18222 (Hong Kong) or 165 (Taiwan)."
REGIONS = f"""\
checked: "2026-12"
hotline_line: "{HOTLINE}"
regions:
  - id: cn
    name: Mainland China
    flag: "🇨🇳"
    guess: [zh-Hans]
    lines:
      - kind: report
        text: "Police: 110."
"""


def problems(tmp_path: Path, regions: str, entry: str = ENTRY) -> list[str]:
    folder = make_kb(tmp_path, {"jobs.yaml": entry})
    (folder / "regions.yaml").write_text(regions, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(folder)
    return [str(p) for p in info.value.problems]


def test_valid_regions_load(tmp_path: Path) -> None:
    folder = make_kb(tmp_path, {"jobs.yaml": ENTRY})
    (folder / "regions.yaml").write_text(REGIONS, encoding="utf-8")
    book = load_knowledge(folder).regions
    assert book is not None and book.hotline_line == HOTLINE
    region = book.get("cn")
    assert region is not None and region.label == "🇨🇳 Mainland China"
    assert [r.id for r in book.guessed("zh-Hans")] == ["cn"] and book.guessed("en") == []


def test_bad_kind_language_and_id_are_reported_with_lines(tmp_path: Path) -> None:
    text = (
        REGIONS.replace("kind: report", "kind: reprot")
        .replace("[zh-Hans]", "[zh-CN]")
        .replace("id: cn", "id: China")
    )
    found = problems(tmp_path, text)
    assert "kb/regions.yaml:4: regions[0].id: 'China' must be 2-8 lowercase letters" in found
    assert any(
        p.startswith("kb/regions.yaml:7: regions[0].guess[0]: unknown language") for p in found
    )
    assert any(
        p.startswith("kb/regions.yaml:9: regions[0].lines[0].kind: unknown value 'reprot'")
        for p in found
    )


def test_entry_problems_and_region_problems_come_in_one_run(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        REGIONS.replace('checked: "2026-12"\n', ""),
        ENTRY.replace("  title: Task scams\n", ""),
    )
    assert "kb/regions.yaml:1: checked: missing required field" in found
    assert "kb/entries/jobs.yaml:1: title: missing required field" in found


def test_hand_written_hotline_line_in_an_entry_is_reported(tmp_path: Path) -> None:
    own = "    - Stop paying and keep the chat records.\n"
    entry = ENTRY.replace(own, own + "    - Call 110, 18222 or 165 now.\n")
    found = problems(tmp_path, REGIONS, entry)
    assert found == [
        "kb/entries/jobs.yaml:15: what_to_do[1]: lists regional hotlines; "
        "write the hotline_line of regions.yaml instead"
    ]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\+?\d[\d-]{1,}\d|\d{3}", text))


@pytest.mark.skipif(not FACTS.is_file(), reason="the shared facts file is not on this machine")
def test_every_number_and_address_comes_from_the_facts(kb: KnowledgeBase) -> None:
    facts = FACTS.read_text(encoding="utf-8")
    help_part = facts[facts.index("## Where to get help") :]
    assert kb.regions is not None
    for region in kb.regions.regions:
        for line in region.lines:
            for number in _numbers(line.text):
                assert number in help_part, (region.id, number)
            for address in re.findall(r"[\w.-]+\.(?:gov|hk|org|uk|au)\b[\w./-]*", line.text):
                assert address.rstrip(".").lower() in help_part.lower(), (region.id, address)
    assert kb.regions.get("mo") is None and "Macau" not in facts  # not in facts: not offered
    assert {"cn", "hk", "tw", "sg", "my", "uk", "us", "au", "ca", "other"} == {
        r.id for r in kb.regions.regions
    }


def test_real_entries_use_the_hotline_line() -> None:
    kb = load_knowledge(KNOWLEDGE)
    assert kb.regions is not None
    users = [e.id for e in kb.entries if kb.regions.hotline_line in e.what_to_do]
    assert len(users) >= 20 and "task-scam" in users and "if-you-were-scammed" in users


# --- the Chinese (zh) of regions.yaml ----------------------------------------------------------

ZH_HOTLINE = "中国大陆拨打110，香港拨打18222，台湾拨打165。"
# Lines: file zh 3-4, region zh 10-11, line zh 15.
REGIONS_ZH = f"""\
checked: "2026-12"
hotline_line: "{HOTLINE}"
zh:
  hotline_line: "{ZH_HOTLINE}"
regions:
  - id: cn
    name: Mainland China
    flag: "🇨🇳"
    guess: [zh-Hans]
    zh:
      name: 中国大陆
    lines:
      - kind: report
        text: "Police: 110."
        zh: "报警：110。"
"""


def bilingual_problems(tmp_path: Path, regions: str, entry: str = ENTRY_ZH) -> list[str]:
    folder = make_kb(tmp_path, {"jobs.yaml": entry}, BILINGUAL_SOURCES)
    (folder / "regions.yaml").write_text(regions, encoding="utf-8")
    (folder / "languages.yaml").write_text("languages: [en, zh-Hans]\n", encoding="utf-8")
    try:
        load_knowledge(folder)
    except KnowledgeError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_bilingual_regions_load_with_their_chinese(tmp_path: Path) -> None:
    assert bilingual_problems(tmp_path, REGIONS_ZH) == []
    folder = make_kb(tmp_path / "b", {"jobs.yaml": ENTRY})
    (folder / "regions.yaml").write_text(REGIONS_ZH, encoding="utf-8")
    book = load_knowledge(folder).regions
    assert book is not None and book.zh is not None and book.zh.hotline_line == ZH_HOTLINE
    region = book.get("cn")
    assert region is not None and region.zh_name == "中国大陆"
    assert region.lines[0].zh == "报警：110。"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (f'zh:\n  hotline_line: "{ZH_HOTLINE}"\n', "",
         "kb/regions.yaml:1: zh: missing the Chinese translation: add zh: {hotline_line, "
         "everywhere}"),
        ("    zh:\n      name: 中国大陆\n", "",
         "kb/regions.yaml:6: regions[0].zh: missing the Chinese translation: add zh: {name}"),
        ('        zh: "报警：110。"\n', "",
         "kb/regions.yaml:13: regions[0].lines[0].zh: missing the Chinese translation"),
        ("香港拨打18222", "香港拨打18223",
         "kb/regions.yaml:4: zh.hotline_line: lacks 18222 (in the English); has 18223 (not in "
         "the English)"),
        ("报警：110。", "报警：119。",
         "kb/regions.yaml:15: regions[0].lines[0].zh: lacks 110 (in the English); has 119"),
        ("      name: 中国大陆\n", "      nmae: 中国大陆\n",
         "kb/regions.yaml:11: regions[0].zh.nmae: unknown key 'nmae' (did you mean 'name'?)"),
    ],
)  # fmt: skip
def test_each_missing_or_wrong_chinese_text_is_reported(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in REGIONS_ZH
    found = bilingual_problems(tmp_path, REGIONS_ZH.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_everywhere_lines_match_item_for_item(tmp_path: Path) -> None:
    text = REGIONS_ZH.replace(
        "zh:\n", 'everywhere:\n  - "Call your bank at once, 24 hours."\nzh:\n', 1
    ).replace(
        f'"{ZH_HOTLINE}"\n', f'"{ZH_HOTLINE}"\n  everywhere: ["马上打给银行。", "再报警。"]\n'
    )
    found = bilingual_problems(tmp_path, text)
    assert found == [
        "kb/regions.yaml:7: zh.everywhere: has 2 item(s); the English everywhere has 1"
    ]


def _entry_with_hotline(zh_item: str) -> str:
    own = "    - Stop paying and keep the chat records.\n"
    entry = ENTRY.replace(own, own + f'    - "{HOTLINE}"\n')
    zh = (
        "  zh:\n    title: 刷单\n    short: 先交钱的工作是诈骗。\n    answer: 不要付钱。\n"
        "    questions: [刷单是诈骗吗, 点赞赚钱靠谱吗, 做任务返佣金是真的吗, 兼职要先垫付吗]\n"
        f'    what_to_do:\n      - 别再付钱，保留聊天记录。\n      - "{zh_item}"\n'
    )
    return entry.replace("  sources:\n", zh + "  sources:\n")


def test_an_entrys_chinese_hotline_item_must_be_the_zh_hotline_line(tmp_path: Path) -> None:
    assert bilingual_problems(tmp_path / "ok", REGIONS_ZH, _entry_with_hotline(ZH_HOTLINE)) == []
    reworded = "大陆打110，香港打18222，台湾打165。"
    found = bilingual_problems(tmp_path / "bad", REGIONS_ZH, _entry_with_hotline(reworded))
    assert found == [
        "kb/entries/jobs.yaml:23: zh.what_to_do[1]: lists regional hotlines; write the zh "
        f"hotline_line of regions.yaml, word for word: {ZH_HOTLINE}"
    ]
    short = bilingual_problems(tmp_path / "short", REGIONS_ZH, _entry_with_hotline("打110。"))
    # where the English item is the hotline line, the zh one must be too (and keep its numbers)
    assert any("zh.what_to_do[1]: lists regional hotlines" in p for p in short), short
    assert any("zh.what_to_do[1]: lacks 165, 18222 (in the English)" in p for p in short)


ZH_HOTLINE_LINE = (
    "举报或咨询：中国大陆拨打110或96110，或用国家反诈中心APP；香港拨打18222；台湾拨打165；"
    "新加坡拨打1799；马来西亚拨打997；其他地方请联系当地警方。"
)


def test_the_real_regions_are_all_in_chinese(kb: KnowledgeBase) -> None:
    book = kb.regions
    assert book is not None and book.zh is not None
    assert book.zh.hotline_line == ZH_HOTLINE_LINE
    assert _numbers(book.zh.hotline_line) == _numbers(book.hotline_line)
    assert len(book.zh.everywhere) == len(book.everywhere)
    for region in book.regions:
        assert region.zh_name and all(line.zh for line in region.lines), region.id
        for line in region.lines:
            assert _numbers(line.zh or "") == _numbers(line.text), (region.id, line.text)


def test_real_chinese_entries_use_the_zh_hotline_line(kb: KnowledgeBase) -> None:
    assert kb.regions is not None and kb.regions.zh is not None
    pairs = [
        (e.id, zh_item)
        for e in kb.entries
        if e.zh is not None
        for item, zh_item in zip(e.what_to_do, e.zh.what_to_do, strict=False)
        if item == kb.regions.hotline_line
    ]
    assert all(zh_item == kb.regions.zh.hotline_line for _, zh_item in pairs), pairs
    if validate.ENTRY_TRANSLATIONS_REQUIRED:  # every entry is translated: all use it
        assert len(pairs) >= 20
