"""The red-flag catalogue (knowledge/flags.yaml) and the link data (knowledge/links.yaml):
the real files are complete, and every fault is reported with file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.checking.linkdata import load_link_data
from bot.errors import KnowledgeError
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import FLAG_LANGS, KnowledgeBase
from tests.conftest import KNOWLEDGE, copy_knowledge

REQUIRED_FLAGS = (
    "upfront-fee",
    "pay-to-withdraw",
    "guaranteed-returns",
    "easy-money-job",
    "unsolicited-recruiter",
    "move-to-private-chat",
    "wrong-number-opener",
    "urgency",
    "secrecy",
    "asks-verification-code",
    "asks-id-documents",
    "asks-bank-or-password",
    "asks-seed-phrase",
    "authority-impersonation",
    "account-frozen",
    "parcel-fee",
    "refund-subsidy-prize",
    "crypto-giveaway",
    "crypto-payment",
    "remote-access-app",
    "gift-cards",
    "job-abroad-travel",
    "receive-and-forward",
    "sextortion-threat",
    "suspicious-link",
    "foreign-number",
    "romance-money",
    "safe-account",
    "investment-group",
    "loan-fee",
    "off-platform-trade",
    "new-number-family",
)

GOOD_FLAG = """- id: test-flag
  name: A test flag
  why: Because it matters.
  zh:
    name: 测试用的红旗
    why: 因为这很重要。
  severity: high
  entries: [task-scam]
  patterns:
    en: ['\\bpay first\\b']
    zh-Hans: ['先付']
    zh-Hant: ['先付']
  examples:
    - pay first please
    - you must pay first
"""


def test_the_catalogue_has_every_agreed_flag_in_three_languages(kb: KnowledgeBase) -> None:
    ids = [flag.id for flag in kb.flags]
    assert len(ids) >= 25 and len(set(ids)) == len(ids)
    assert set(REQUIRED_FLAGS) <= set(ids), set(REQUIRED_FLAGS) - set(ids)
    for flag in kb.flags:
        assert [lang for lang, _ in flag.patterns] == list(FLAG_LANGS), flag.id
        assert all(kb.get(entry_id) for entry_id in flag.entries), flag.id
        assert len(flag.examples) >= 2 and "\n" not in flag.why
        # issue 15: every flag's name and reason in Simplified Chinese
        assert re.search(r"[\u4e00-\u9fff]", flag.zh_name), flag.id
        assert re.search(r"[\u4e00-\u9fff]", flag.zh_why) and "\n" not in flag.zh_why, flag.id


def _load_with_flags(tmp_path: Path, text: str) -> KnowledgeError:
    folder = tmp_path / "knowledge"
    copy_knowledge(folder)
    (folder / "flags.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(folder)
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "says"),
    [
        (
            "en: ['\\bpay first\\b']",
            "en: ['(unclosed']",
            10,
            "patterns.en[0]",
            "regular expression",
        ),
        ("    zh-Hant: ['先付']\n", "", 10, "patterns.zh-Hant", "missing required field"),
        ("[task-scam]", "[task-scan]", 8, "entries[0]", "did you mean 'task-scam'"),
        ("severity: high", "severity: huge", 7, "severity", "expected one of"),
        ("why: Because it matters.", "why: |\n    two\n    lines", 3, "why", "one line"),
        ("    - you must pay first\n", "", 13, "examples", "at least 2"),
        (
            "  zh:\n    name: 测试用的红旗\n    why: 因为这很重要。\n",
            "",
            1,
            "zh",
            "missing required field",
        ),
        ("    why: 因为这很重要。\n", "", 5, "zh.why", "missing required field"),
        ("    name: 测试用的红旗", "    name: ''", 5, "zh.name", "must not be empty"),
        ("    why: 因为这很重要。", "    why: 因为\n    wrong: 1", 7, "zh.wrong", "unknown key"),
        (
            "  name: A test flag\n",
            "  name: A test flag\n  colour: red\n",
            3,
            "colour",
            "unknown key",
        ),
    ],
)
def test_catalogue_faults_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, says: str
) -> None:
    assert old in GOOD_FLAG
    error = _load_with_flags(tmp_path, GOOD_FLAG.replace(old, new))
    [problem] = [p for p in error.problems if p.field == field]
    assert problem.file.endswith("knowledge/flags.yaml") and problem.line == line
    assert says in problem.message


def test_a_duplicate_flag_id_names_the_first_place(tmp_path: Path) -> None:
    error = _load_with_flags(tmp_path, GOOD_FLAG + GOOD_FLAG)
    [problem] = error.problems
    assert problem.line == 16 and "first defined at knowledge/flags.yaml:1" in problem.message


def test_a_good_extra_catalogue_loads(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    copy_knowledge(folder)
    (folder / "flags.yaml").write_text(GOOD_FLAG, encoding="utf-8")
    [flag] = load_knowledge(folder).flags
    assert (flag.id, flag.severity, flag.entries) == ("test-flag", "high", ("task-scam",))
    assert (flag.zh_name, flag.zh_why) == ("测试用的红旗", "因为这很重要。")


def test_the_link_data_loads() -> None:
    data = load_link_data(KNOWLEDGE)
    assert {"top", "xyz"} <= data.risky_tlds and "bit.ly" in data.shorteners
    assert data.official_brand("paypal.com") is not None


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        (
            "risky_tlds: [top, 'not a tld!']\nshorteners: [bit.ly]\nbrands: []\n",
            1,
            "risky_tlds[1]",
        ),
        (
            "risky_tlds: [top]\nshorteners: [bit.ly]\nbrands:\n  - name: X\n",
            4,
            "brands[0].domains",
        ),
        ("risky_tlds: [top]\nshorteners: [bitly]\nbrands: []\n", 2, "shorteners[0]"),
        ("risky_tlds: [top]\nshortners: [bit.ly]\nbrands: []\n", 2, "shortners"),
    ],
)
def test_link_data_faults_name_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str
) -> None:
    (tmp_path / "links.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_link_data(tmp_path)
    assert any(p.field == field and p.line == line for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]
