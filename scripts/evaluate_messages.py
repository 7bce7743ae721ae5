"""Evaluate the message checker on labelled messages.

    python scripts/evaluate_messages.py CASES.yaml [--json] [--mode both|patterns|embedding]

CASES.yaml is a list of {text, scam, expect, also, flags, lang} (see tests/data/messages.yaml).
Prints n, detection_recall, scam_verdict_recall, false_alarm, type_top1, type_top3, the share
read as a pasted message, latency p50/p95, per-flag precision and recall and per-language slices.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.errors import ScamWiseError

MODES = {"both": (True, True), "patterns": (True, False), "embedding": (False, True)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path, help="YAML list of labelled messages")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--mode", choices=sorted(MODES), default="both",
        help="how red flags are found: patterns, the embedder, or both (default)",
    )  # fmt: skip
    parser.add_argument("--failures", type=int, default=20, help="failures to list (text mode)")
    return parser.parse_args(argv)


def table(metrics: dict[str, object], keys: tuple[str, ...]) -> str:
    """A two-column Markdown table."""
    rows = ["| metric | value |", "|---|---|"]
    rows += [f"| {key} | {metrics.get(key)} |" for key in keys]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Load the checker and the cases, check every case, print the figures."""
    args = parse_args(argv)
    try:
        from bot.app import open_checker, open_retriever
        from bot.checking.evaluation import KEYS, evaluate_messages, load_message_cases
        from bot.settings import load_settings

        cases = load_message_cases(args.cases)
        settings = load_settings()
        checker = open_checker(settings, open_retriever(settings))
        patterns, embedding = MODES[args.mode]
        checker.config = replace(checker.config, use_patterns=patterns, use_embedding=embedding)
        checker.check("warm up the model")
        report = evaluate_messages(checker, cases)
    except ScamWiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({**asdict(report), "mode": args.mode}, ensure_ascii=False))
        return 0
    print(f"{args.cases} (flags by {args.mode})\n")
    print(table(report.metrics, KEYS))
    print("\n| flag | precision | recall | support |\n|---|---|---|---|")
    for flag_id, row in report.per_flag.items():
        print(f"| {flag_id} | {row['precision']} | {row['recall']} | {row['support']} |")
    print("\n| lang | n | detection | false alarm | top1 | top3 |\n|---|---|---|---|---|---|")
    for lang, m in report.per_lang.items():
        print(f"| {lang} | {m['n']} | {m['detection_recall']} | {m['false_alarm']} | "
              f"{m['type_top1']} | {m['type_top3']} |")  # fmt: skip
    print(f"\n{len(report.failures)} failures")
    for failure in report.failures[: args.failures]:
        print(
            f"  case {failure['case']}: [{failure['why']}] {failure['text']!r} "
            f"expect={failure['expect']} got={failure['got']} flags={failure['flags']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
