"""Evaluate retrieval on labelled questions.

    python scripts/evaluate.py CASES.yaml [CASES.yaml ...] [--mode hybrid|dense|bm25|all]
                               [--json] [--calibrate]

CASES.yaml is a list of {q: "...", expect: <entry id or null>}; null means "must decline".
A case may name a `slice` (e.g. `slice: short`); each slice, and the cases in none, are then
reported on their own as well. Chinese cases name their `script` (hans or hant); each script
is reported on its own too. Each file is reported on its own (one per language: English dev,
Chinese dev), in every mode asked for. The encoders are those of the settings
(SCAMWISE_MODEL, SCAMWISE_ZH_MODEL) and the index they were built into (SCAMWISE_INDEX_DIR).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.errors import ScamWiseError
from bot.search.config import MODES

KEYS = (
    "n",
    "top1",
    "top3",
    "mrr",
    "oos_recall",
    "false_decline",
    "latency_ms_p50",
    "latency_ms_p95",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path, nargs="+", help="YAML list of {q, expect}")
    parser.add_argument("--mode", choices=[*MODES, "all"], default="hybrid")
    parser.add_argument(
        "--no-scope", action="store_true",
        help="decline by the score threshold alone, without the scope model",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="sweep the decline threshold and write a PNG of the scores",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path("calibration.png"),
        help="where --calibrate writes its PNG (default: calibration.png)",
    )
    parser.add_argument("--threshold", type=float, help="decline threshold to use")
    parser.add_argument("--aggregate", choices=["max", "mean-top-k"], help="dense aggregation")
    parser.add_argument("--fusion", choices=["weighted", "rrf"], help="hybrid fusion")
    parser.add_argument("--dense-weight", type=float, help="weighted fusion: dense share")
    parser.add_argument("--bm25-scale", type=float, help="BM25 normalisation constant")
    parser.add_argument("--dense-rows", choices=["same", "all"], help="vectors a question meets")
    parser.add_argument("--lexical", choices=["route", "max"], help="BM25 documents' languages")
    parser.add_argument("--chinese-tokens", choices=["jieba", "bigrams", "both"])
    parser.add_argument("--zh-threshold", type=float, help="decline threshold, Chinese questions")
    parser.add_argument("--zh-dense-weight", type=float, help="dense share, Chinese questions")
    parser.add_argument("--zh-bm25-scale", type=float, help="BM25 constant, Chinese questions")
    parser.add_argument("--show", type=int, default=20, help="failures to list (text output)")
    return parser.parse_args(argv)


def configure(base: Any, args: argparse.Namespace, mode: str) -> Any:
    """The retrieval config for one mode with the command-line overrides."""
    config = base.with_mode(mode)
    overrides = {
        "threshold": args.threshold,
        "aggregate": args.aggregate,
        "fusion": args.fusion,
        "dense_weight": args.dense_weight,
        "bm25_scale": args.bm25_scale,
        "dense_rows": args.dense_rows,
        "lexical_languages": args.lexical,
        "chinese_tokens": args.chinese_tokens,
    }
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    chinese = {
        "threshold": args.zh_threshold,
        "dense_weight": args.zh_dense_weight,
        "bm25_scale": args.zh_bm25_scale,
    }
    given = {k: v for k, v in chinese.items() if v is not None}
    return config.with_language("zh", **given) if given else config


def run_mode(
    retriever: Any, cases: list[Any], args: argparse.Namespace, mode: str, name: str = ""
) -> dict:
    """Evaluate one mode (and calibrate it when asked); return the report dict."""
    from bot.evaluation import calibrate, evaluate, script_reports, slice_reports

    config = configure(retriever.config, args, mode)
    if config.chinese_tokens != retriever.config.chinese_tokens:
        retriever.set_config(config)
    retriever.config = config
    report, results = evaluate(retriever, cases)
    out = report.as_dict()
    slices = slice_reports(cases, results)
    if slices:
        out["slices"] = slices
    scripts = script_reports(cases, results)
    if scripts:
        out["scripts"] = scripts
    out["mode"] = mode
    out["cases"] = name
    out["threshold"] = retriever.config.decline_threshold
    out["threshold_zh"] = retriever.config.threshold_for("zh")
    if args.calibrate:
        best, _ = calibrate(cases, results)
        out["calibrated_threshold"] = best
        plot = args.plot
        if args.mode == "all" or len(args.cases) > 1:
            plot = plot.with_stem(f"{plot.stem}-{Path(name).stem}-{mode}")
        write_plot(cases, results, best, plot, mode)
        out["plot"] = str(plot)
    return out


def write_plot(cases: list[Any], results: list[Any], threshold: float, path: Path, mode: str):
    """Histogram of top scores for in-scope and out-of-scope cases, with the threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inside = [r.top_score for c, r in zip(cases, results, strict=True) if c.expect is not None]
    outside = [r.top_score for c, r in zip(cases, results, strict=True) if c.expect is None]
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = [i / 50 for i in range(51)]
    ax.hist(inside, bins=bins, alpha=0.6, label=f"in scope ({len(inside)})")
    ax.hist(outside, bins=bins, alpha=0.6, label=f"out of scope ({len(outside)})")
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_xlabel(f"top score ({mode})")
    ax.set_ylabel("questions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def print_text(reports: list[dict], show: int) -> None:
    """For each file of cases, its reports as tables, then the failures of each mode."""
    for name in dict.fromkeys(r["cases"] for r in reports):
        if len(reports) > 1:
            print(f"\n## {name}\n")
        print_file([r for r in reports if r["cases"] == name], show)


def print_file(reports: list[dict], show: int) -> None:
    """One file's reports as a table, then the failures of each mode."""
    print("| metric | " + " | ".join(r["mode"] for r in reports) + " |")
    print("|---|" + "---|" * len(reports))
    for key in (*KEYS, "threshold", "threshold_zh", "calibrated_threshold"):
        if key in reports[0]:
            print(f"| {key} | " + " | ".join(str(r[key]) for r in reports) + " |")
    for name in reports[0].get("slices", {}):
        print(f"\nslice {name}:\n")
        print("| metric | " + " | ".join(r["mode"] for r in reports) + " |")
        print("|---|" + "---|" * len(reports))
        for key in reports[0]["slices"][name]:
            values = " | ".join(str(r["slices"][name][key]) for r in reports)
            print(f"| {key} | {values} |")
    for name in reports[0].get("scripts", {}):
        print(f"\nscript {name}:\n")
        print("| metric | " + " | ".join(r["mode"] for r in reports) + " |")
        print("|---|" + "---|" * len(reports))
        for key in reports[0]["scripts"][name]:
            values = " | ".join(str(r["scripts"][name][key]) for r in reports)
            print(f"| {key} | {values} |")
    for r in reports:
        print(f"\n{r['mode']}: {len(r['failures'])} failures")
        for f in r["failures"][:show]:
            print(
                f"  line {f['line']}: [{f['kind']}] {f['q'][:70]!r} expect={f['expect']} "
                f"got={f['got']} score={f['score']:.3f}"
            )
        if r.get("plot"):
            print(f"  score distribution written to {r['plot']}")


def main(argv: list[str] | None = None) -> int:
    """Load everything once, evaluate the requested modes, print the results."""
    args = parse_args(argv)
    try:
        from bot.app import open_retriever
        from bot.evaluation import load_cases
        from bot.settings import load_settings

        retriever = open_retriever(load_settings(), scope=not args.no_scope)
        files = [(str(path), load_cases(path, retriever.kb)) for path in args.cases]
        modes = list(MODES) if args.mode == "all" else [args.mode]
        reports = [
            run_mode(retriever, cases, args, mode, name) for name, cases in files for mode in modes
        ]
    except ScamWiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else reports, ensure_ascii=False))
    else:
        print_text(reports, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
