"""The curated knowledge base and the dev set meet the content rules of the project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.knowledge.models import NON_SCAM_TOPICS, KnowledgeBase
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEV_SET = ROOT / "tests" / "data" / "dev_questions.yaml"
HOLDOUT = ROOT / "tests" / "data" / "holdout_questions.yaml"
HOTLINES = ("110", "96110", "18222", "1868", "165", "1799", "997", "+86-10-12308", "999")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _shared(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is not beside the checkout")
    return path


def _coverage() -> list[tuple[str, str]]:
    """(id, topic) pairs from shared/coverage.md: `## topic` headings and `- \\`id\\`` lines."""
    pairs, topic = [], ""
    for line in _shared("coverage.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+)", line)
        if heading:
            topic = heading.group(1)
        item = re.match(r"^- `([a-z0-9-]+)`", line)
        if item:
            pairs.append((item.group(1), topic))
    return pairs


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _cases(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_coverage_id_exists_with_its_topic(kb: KnowledgeBase) -> None:
    coverage = _coverage()
    assert len(coverage) >= 49
    missing = [(i, t) for i, t in coverage if kb.get(i) is None or kb.get(i).topic != t]
    assert missing == []


def test_entries_meet_the_counts(kb: KnowledgeBase) -> None:
    problems = []
    for e in kb.entries:
        if len(e.questions) < 6:
            problems.append(f"{e.id}: {len(e.questions)} questions")
        if e.topic not in NON_SCAM_TOPICS:
            if len(e.red_flags) < 2 or len(e.what_to_do) < 2:
                problems.append(f"{e.id}: needs 2+ red flags and 2+ actions")
            if not e.related:
                problems.append(f"{e.id}: no related entries")
    assert problems == []


def test_every_cited_source_has_a_publisher_and_date(kb: KnowledgeBase) -> None:
    """Entries may cite nothing (general advice); what they cite names who said it and when."""
    for e in kb.entries:
        for sid in e.sources:
            source = kb.sources[sid]
            assert source.publisher and re.match(r"^\d{4}", source.date), sid


def test_the_seed_articles_are_sources(kb: KnowledgeBase) -> None:
    notes = " ".join(s.notes or "" for s in kb.sources.values())
    for seed in _shared("seeds").glob("*.txt"):
        assert seed.name in notes


def test_report_hotlines_lists_every_region(kb: KnowledgeBase) -> None:
    entry = kb.get("report-hotlines")
    text = " ".join([entry.answer, *entry.what_to_do])
    for number in HOTLINES:
        assert number in text, number
    for region in ("mainland China", "Hong Kong", "Taiwan", "Singapore", "Malaysia"):
        assert region.lower() in text.lower(), region


def test_no_number_is_invented(kb: KnowledgeBase) -> None:
    """Every number in the knowledge text appears in the reference facts or the seeds."""
    reference = _shared("reference/facts.md").read_text(encoding="utf-8")
    reference += "".join(p.read_text(encoding="utf-8") for p in _shared("seeds").glob("*.txt"))
    known = {n.replace(",", "") for n in NUMBER.findall(reference)}
    known.add(str(Settings().retention_days))  # the privacy entry states our own retention
    invented = {
        (e.id, n)
        for e in kb.entries
        for n in NUMBER.findall(" ".join([e.title, e.answer, *e.red_flags, *e.what_to_do]))
        if n.replace(",", "") not in known
    }
    assert invented == set()


@pytest.mark.parametrize("path,minimum,oos", [(DEV_SET, 300, 60), (HOLDOUT, 100, 20)])
def test_question_sets_cover_every_entry(
    kb: KnowledgeBase, path: Path, minimum: int, oos: int
) -> None:
    cases = _cases(path)
    assert len(cases) >= minimum
    assert sum(c["expect"] is None for c in cases) >= oos
    counts = {e.id: 0 for e in kb.entries}
    for case in cases:
        if case["expect"] is not None:
            counts[case["expect"]] += 1  # KeyError: unknown id
    # The held-out set was written once for the coverage entries and is never edited to follow
    # the knowledge base; entries added later are covered by the dev set only.
    required = set(counts) if path == DEV_SET else {i for i, _ in _coverage()}
    floor = 4 if path == DEV_SET else 1
    assert {i: n for i, n in counts.items() if i in required and n < floor} == {}


def test_question_sets_never_repeat_example_questions(kb: KnowledgeBase) -> None:
    examples = {_fold(q) for e in kb.entries for q in (*e.questions, e.title)}
    dev = [_fold(c["q"]) for c in _cases(DEV_SET)]
    holdout = [_fold(c["q"]) for c in _cases(HOLDOUT)]
    assert [q for q in dev + holdout if q in examples] == []
    assert set(dev) & set(holdout) == set()
    assert len(set(dev)) == len(dev)
