"""regions.yaml: validated with file:line errors, and it states exactly the facts' lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import KnowledgeBase
from tests.conftest import KNOWLEDGE
from tests.test_knowledge_validation import ENTRY, make_kb

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
