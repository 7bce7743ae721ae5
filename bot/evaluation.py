"""Measure retrieval on a list of labelled questions: accuracy, declines, latency, failures."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import KnowledgeError, Problem
from bot.knowledge.models import KnowledgeBase
from bot.knowledge.yaml_lines import read_yaml
from bot.search.results import SearchResult, Status
from bot.search.retriever import Retriever


@dataclass(frozen=True)
class Case:
    """One labelled question: `expect` is an entry id, or None when the bot must decline."""

    q: str
    expect: str | None
    line: int = 0
    slice: str = ""  # a named group of cases reported on its own (e.g. "short")
    script: str = ""  # Chinese cases: "hans" (Simplified) or "hant" (Traditional)


@dataclass
class Report:
    """Evaluation figures; `as_dict` gives the `--json` object."""

    n: int
    top1: float
    top3: float
    mrr: float
    oos_recall: float
    false_decline: float
    latency_ms_p50: float
    latency_ms_p95: float
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The keys of `scripts/evaluate.py --json`."""
        return dict(self.__dict__)


def load_cases(path: Path, kb: KnowledgeBase | None = None) -> list[Case]:
    """Read `[{q, expect}]`; every problem is reported with file and line."""
    problems: list[Problem] = []
    doc = read_yaml(path, str(path), problems)
    if doc is None:
        raise KnowledgeError(problems)
    data = doc.data
    if not isinstance(data, list):
        raise KnowledgeError([Problem(str(path), 1, "", "expected a list of {q, expect}")])
    cases = [_case(item, i, str(path), kb, problems) for i, item in enumerate(data)]
    if problems:
        raise KnowledgeError(problems)
    return [c for c in cases if c is not None]


def _case(
    item: Any, i: int, file: str, kb: KnowledgeBase | None, problems: list[Problem]
) -> Case | None:
    line = int(getattr(item, "line", 0) or 0)
    if not isinstance(item, dict) or not {"q", "expect"} <= set(item) <= CASE_KEYS:
        message = "each case needs exactly q and expect (and optionally slice and script)"
        problems.append(Problem(file, line, f"[{i}]", message))
        return None
    group = item.get("slice", "")
    if not isinstance(group, str) or ("slice" in item and not group.strip()):
        problems.append(Problem(file, line, "slice", "must be non-empty text"))
        return None
    script = item.get("script", "")
    if "script" in item and script not in SCRIPTS:
        problems.append(Problem(file, line, "script", f"must be one of {', '.join(SCRIPTS)}"))
        return None
    q, expect = item["q"], item["expect"]
    if not isinstance(q, str) or not q.strip():
        problems.append(Problem(file, line, "q", "must be non-empty text"))
        return None
    if expect is not None and (not isinstance(expect, str) or (kb and kb.get(expect) is None)):
        problems.append(Problem(file, line, "expect", f"unknown entry id {expect!r}"))
        return None
    return Case(q, expect, line, group.strip(), script)


CASE_KEYS = frozenset({"q", "expect", "slice", "script"})
SCRIPTS = ("hans", "hant")
SLICE_KEYS = ("n", "top1", "top3", "mrr", "oos_recall", "false_decline")
OTHER_SLICE = "(no slice)"


def slice_reports(cases: list[Case], results: list[SearchResult]) -> dict[str, dict[str, Any]]:
    """The figures of each slice, and of the cases in none, when the file names slices."""
    names = sorted({c.slice for c in cases if c.slice})
    if not names:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name in [*names, ""]:
        pairs = [(c, r) for c, r in zip(cases, results, strict=True) if c.slice == name]
        report = score([c for c, _ in pairs], [r for _, r in pairs], []).as_dict()
        out[name or OTHER_SLICE] = {k: report[k] for k in SLICE_KEYS}
    return out


def script_reports(cases: list[Case], results: list[SearchResult]) -> dict[str, dict[str, Any]]:
    """The figures of each script ("hans", "hant") when the file names scripts."""
    names = [name for name in SCRIPTS if any(c.script == name for c in cases)]
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        pairs = [(c, r) for c, r in zip(cases, results, strict=True) if c.script == name]
        report = score([c for c, _ in pairs], [r for _, r in pairs], []).as_dict()
        out[name] = {k: report[k] for k in SLICE_KEYS}
    return out


def evaluate(retriever: Retriever, cases: list[Case], k: int = 3) -> tuple[Report, list[Any]]:
    """Search every case one by one (timed) and compute the report and raw results."""
    results: list[SearchResult] = []
    latencies: list[float] = []
    for case in cases:
        start = time.perf_counter()
        results.append(retriever.search(case.q, k=max(k, 3)))
        latencies.append((time.perf_counter() - start) * 1000.0)
    return score(cases, results, latencies), results


def score(cases: list[Case], results: list[SearchResult], latencies: list[float]) -> Report:
    """Compute the figures from results already obtained."""
    in_scope = [(c, r) for c, r in zip(cases, results, strict=True) if c.expect is not None]
    oos = [r for c, r in zip(cases, results, strict=True) if c.expect is None]
    ranks = [_rank(c.expect, r) for c, r in in_scope]
    declined = [r.best is None for _, r in in_scope]
    return Report(
        n=len(cases),
        top1=_share([r == 1 for r in ranks]),
        top3=_share([0 < r <= 3 for r in ranks]),
        mrr=round(float(np.mean([1.0 / r if r else 0.0 for r in ranks])) if ranks else 0.0, 4),
        oos_recall=_share([r.best is None for r in oos]),
        false_decline=_share(declined),
        latency_ms_p50=round(float(np.percentile(latencies, 50)), 2) if latencies else 0.0,
        latency_ms_p95=round(float(np.percentile(latencies, 95)), 2) if latencies else 0.0,
        failures=_failures(cases, results),
    )


def _rank(expect: str | None, result: SearchResult) -> int:
    ids = [h.entry_id for h in result.hits]
    return ids.index(expect) + 1 if expect in ids else 0


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def _failures(cases: list[Case], results: list[SearchResult]) -> list[dict[str, Any]]:
    failures = []
    for case, result in zip(cases, results, strict=True):
        got = result.hits[0].entry_id if result.hits else None
        answered = result.best is not None
        if case.expect is None and not answered:
            continue
        if case.expect is not None and answered and got == case.expect:
            continue
        kind = "not declined" if case.expect is None else ("declined" if not answered else "wrong")
        failures.append(
            {
                "q": case.q,
                "expect": case.expect,
                "got": got,
                "score": result.top_score,
                "status": str(result.status),
                "kind": kind,
                "line": case.line,
            }
        )
    return failures


def calibrate(cases: list[Case], results: list[SearchResult]) -> tuple[float, list[dict]]:
    """Sweep the decline threshold; return the best one and the sweep.

    A case counts as right when an in-scope one is answered with the expected entry first, or
    an out-of-scope one is declined. Among equally good thresholds the middle one is kept.
    """
    tops = [r.top_score if r.status is not Status.EMPTY else -1.0 for r in results]
    correct_top = [
        bool(r.hits) and r.hits[0].entry_id == c.expect
        for c, r in zip(cases, results, strict=True)
    ]
    sweep = []
    for t in np.round(np.arange(0.0, 1.0001, 0.005), 3):
        right = 0
        for case, top, ok in zip(cases, tops, correct_top, strict=True):
            answered = top >= t
            right += (case.expect is None and not answered) or (
                case.expect is not None and answered and ok
            )
        sweep.append({"threshold": float(t), "accuracy": right / len(cases)})
    best = max(s["accuracy"] for s in sweep)
    tied = [s["threshold"] for s in sweep if s["accuracy"] == best]
    return float(tied[len(tied) // 2]), sweep
