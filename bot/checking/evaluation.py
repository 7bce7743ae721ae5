"""Score the message checker on labelled messages (tests/data/messages*.yaml).

Each case: {text, scam: true|false, expect: entry id or null, also: [ids], flags: [ids], lang}.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.checking.checker import MessageChecker
from bot.checking.detect import looks_like_message
from bot.checking.result import CheckResult, Verdict
from bot.errors import ScamWiseError


@dataclass(frozen=True)
class MessageCase:
    """One labelled message."""

    text: str
    scam: bool
    expect: str | None
    also: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    lang: str = "en"
    line: int = 0


def load_message_cases(path: Path) -> list[MessageCase]:
    """Read a YAML list of cases; a malformed case is an error naming its position."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScamWiseError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, list):
        raise ScamWiseError(f"{path}: expected a list of cases")
    cases = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ScamWiseError(f"{path}: case {i + 1} needs a text")
        if not isinstance(item.get("scam"), bool):
            raise ScamWiseError(f"{path}: case {i + 1} needs scam: true or false")
        cases.append(
            MessageCase(
                item["text"], item["scam"], item.get("expect"),
                tuple(item.get("also") or ()), tuple(item.get("flags") or ()),
                str(item.get("lang") or "en"), i + 1,
            )
        )  # fmt: skip
    return cases


@dataclass
class MessageReport:
    """The figures of one run (see KEYS)."""

    metrics: dict[str, Any]
    per_flag: dict[str, dict[str, float | int]] = field(default_factory=dict)
    per_lang: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)


KEYS = ("n", "detection_recall", "scam_verdict_recall", "false_alarm", "type_top1", "type_top3",
        "detected_as_message", "latency_ms_p50", "latency_ms_p95")  # fmt: skip


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _metrics(
    cases: list[MessageCase], results: list[CheckResult], flag_counts: list[int]
) -> dict[str, Any]:
    pairs = list(zip(cases, results, strict=True))
    scams = [(c, r) for c, r in pairs if c.scam]
    ordinary = [(c, r) for c, r in pairs if not c.scam]
    typed = [(c, r) for c, r in scams if c.expect]

    def rank_ok(case: MessageCase, result: CheckResult, k: int) -> bool:
        wanted = {case.expect, *case.also}
        return any(m.entry_id in wanted for m in result.matches[:k])

    return {
        "n": len(cases),
        "detection_recall": _share([r.verdict is not Verdict.NONE for _, r in scams]),
        "scam_verdict_recall": _share([r.verdict is Verdict.SCAM for _, r in scams]),
        "false_alarm": _share([r.verdict is not Verdict.NONE for _, r in ordinary]),
        "type_top1": _share([rank_ok(c, r, 1) for c, r in typed]),
        "type_top3": _share([rank_ok(c, r, 3) for c, r in typed]),
        "detected_as_message": _share(
            [looks_like_message(c.text, n) for c, n in zip(cases, flag_counts, strict=True)]
        ),
    }


def _per_flag(cases: list[MessageCase], results: list[CheckResult]) -> dict[str, dict[str, Any]]:
    ids = sorted({f for c in cases for f in c.flags} | {f for r in results for f in r.flag_ids()})
    table: dict[str, dict[str, Any]] = {}
    for flag_id in ids:
        tp = fp = fn = 0
        for case, result in zip(cases, results, strict=True):
            found, wanted = flag_id in result.flag_ids(), flag_id in case.flags
            tp += found and wanted
            fp += found and not wanted
            fn += wanted and not found
        precision = round(tp / (tp + fp), 3) if tp + fp else None
        recall = round(tp / (tp + fn), 3) if tp + fn else None
        table[flag_id] = {"precision": precision, "recall": recall, "support": tp + fn}
    return table


def _failures(cases: list[MessageCase], results: list[CheckResult]) -> list[dict[str, Any]]:
    out = []
    for case, result in zip(cases, results, strict=True):
        top = [m.entry_id for m in result.matches[:3]]
        missed = case.scam and result.verdict is Verdict.NONE
        alarm = not case.scam and result.verdict is not Verdict.NONE
        wrong_type = case.scam and case.expect and not ({case.expect, *case.also} & set(top))
        if missed or alarm or wrong_type:
            why = "missed" if missed else "false alarm" if alarm else "type"
            out.append({"case": case.line, "why": why, "text": case.text[:70],
                        "verdict": result.verdict.value, "expect": case.expect, "got": top,
                        "flags": list(result.flag_ids())})  # fmt: skip
    return out


def evaluate_messages(checker: MessageChecker, cases: list[MessageCase]) -> MessageReport:
    """Check every case one by one (timing each) and score the results."""
    results: list[CheckResult] = []
    latencies: list[float] = []
    for case in cases:
        started = time.perf_counter()
        results.append(checker.check(case.text))
        latencies.append((time.perf_counter() - started) * 1000)
    counts = [checker.pattern_count(c.text) for c in cases]
    metrics = _metrics(cases, results, counts)
    metrics["latency_ms_p50"] = round(float(np.percentile(latencies, 50)), 2) if cases else None
    metrics["latency_ms_p95"] = round(float(np.percentile(latencies, 95)), 2) if cases else None
    langs = sorted({c.lang for c in cases})
    per_lang = {}
    for lang in langs:
        rows = [i for i, c in enumerate(cases) if c.lang == lang]
        per_lang[lang] = _metrics(
            [cases[i] for i in rows], [results[i] for i in rows], [counts[i] for i in rows]
        )
    return MessageReport(metrics, _per_flag(cases, results), per_lang, _failures(cases, results))
