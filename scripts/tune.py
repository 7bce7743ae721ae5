"""Compare retrieval variants on labelled questions, each at its own calibrated threshold.

    python scripts/tune.py tests/data/dev_questions.yaml
    python scripts/tune.py tests/data/dev_questions_zh.yaml --grid zh

Prints one row per variant (dense aggregation, fusion, weights) sorted by end-to-end accuracy
(an in-scope question answered with the right entry, an out-of-scope one declined). Query
vectors are computed once and reused, so the whole grid takes about a minute. `--grid zh`
varies what Chinese questions meet (their own rows or all, BM25 in their language or the
better of both, jieba words or also character bigrams) and their own fusion weights; the
encoders are those of the settings and index (SCAMWISE_MODEL, SCAMWISE_ZH_MODEL).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import open_retriever
from bot.evaluation import Case, calibrate, load_cases, score
from bot.search.config import RetrievalConfig
from bot.settings import load_settings


class CachingEmbedder:
    """Remembers the vector of every text it has embedded."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                self._cache[text] = vector
        return np.vstack([self._cache[t] for t in texts])


ZH_STRUCTURE = list(
    itertools.product(["same", "all"], ["route", "max"], ["jieba", "both"])
)  # rows a Chinese question meets, BM25 documents, Chinese segmentation
ZH_FUSION = list(
    itertools.product([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], [0.5, 1.0, 2.0, 4.0, 8.0])
)


def zh_grid(retriever: Any, cases: list[Case]) -> list[dict[str, Any]]:
    """Every Chinese variant: the scores are computed once per structure (rows, BM25
    documents, segmentation), then re-weighted for each fusion weight and BM25 constant."""
    from bot.search.results import Hit

    out = []
    for rows, lexical, chinese in ZH_STRUCTURE:
        base = RetrievalConfig(
            dense_rows=rows,  # type: ignore[arg-type]
            lexical_languages=lexical,  # type: ignore[arg-type]
            chinese_tokens=chinese,  # type: ignore[arg-type]
        )
        retriever.set_config(base)
        parts = retriever.score_parts([c.q for c in cases])
        ids = [e.id for e in retriever.kb.entries]
        for weight, scale in ZH_FUSION:
            ranked = []
            for dense, raw, lang in parts:
                lex = raw / (raw + scale)
                fused = weight * dense + (1.0 - weight) * lex
                top = np.argsort(-fused, kind="stable")[:3]
                hits = [Hit(ids[i], round(float(fused[i]), 4), float(dense[i]), float(lex[i]))
                        for i in top]  # fmt: skip
                ranked.append((hits, lang))
            config = base.with_language("zh", dense_weight=weight, bm25_scale=scale)
            retriever.config = replace(config, threshold=0.0).with_language("zh", threshold=0.0)
            results = [
                retriever.decide(c.q, h, lang) for c, (h, lang) in zip(cases, ranked, strict=True)
            ]
            threshold, sweep = calibrate(cases, results)
            retriever.config = replace(config, threshold=threshold).with_language(
                "zh", threshold=threshold
            )
            results = [
                retriever.decide(c.q, h, lang) for c, (h, lang) in zip(cases, ranked, strict=True)
            ]
            accuracy = max(x["accuracy"] for x in sweep)
            report = score(cases, results, [0.0])
            out.append(
                {"config": config, "threshold": threshold, "accuracy": accuracy, "report": report}
            )
    return out


def variants() -> list[RetrievalConfig]:
    """The grid: dense alone, BM25 alone, and hybrid variants."""
    out = [RetrievalConfig(mode="dense"), RetrievalConfig(mode="dense", aggregate="max")]
    out.append(RetrievalConfig(mode="bm25"))
    for k, fusion, weight, scale in itertools.product(
        [1, 2, 3], ["weighted", "rrf"], [0.4, 0.5, 0.6, 0.7, 0.8], [2.0, 4.0, 8.0]
    ):
        config = RetrievalConfig(
            aggregate="max" if k == 1 else "mean-top-k",
            top_k_vectors=k,
            fusion="rrf" if fusion == "rrf" else "weighted",
            dense_weight=weight,
            bm25_scale=scale,
        )
        out.append(config)
    return out


def measure(retriever: Any, cases: list[Case], config: RetrievalConfig) -> dict[str, Any]:
    """Calibrate the threshold for one config and report the figures at that threshold."""
    retriever.set_config(replace(config, threshold=0.0))
    results = retriever.search_many([c.q for c in cases], k=3)
    threshold, sweep = calibrate(cases, results)
    retriever.set_config(replace(config, threshold=threshold))
    results = retriever.search_many([c.q for c in cases], k=3)
    report = score(cases, results, [0.0])
    accuracy = max(s["accuracy"] for s in sweep)
    return {"config": config, "threshold": threshold, "accuracy": accuracy, "report": report}


def describe(config: RetrievalConfig, grid: str = "en") -> str:
    """A short label for a variant."""
    if config.mode != "hybrid":
        return f"{config.mode}/{config.aggregate}"
    if grid == "zh":
        weight, scale = config.fusion_for("zh")
        return (
            f"rows={config.dense_rows} bm25={config.lexical_languages} "
            f"zh-words={config.chinese_tokens} w={weight} s={scale}"
        )
    agg = config.aggregate if config.aggregate == "max" else f"mean-top-{config.top_k_vectors}"
    return f"hybrid/{agg}/{config.fusion} w={config.dense_weight} s={config.bm25_scale}"


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print the table, best first."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", type=Path)
    parser.add_argument("--top", type=int, default=15, help="rows to print")
    parser.add_argument("--grid", choices=["en", "zh"], default="en", help="which variants")
    args = parser.parse_args(argv)
    retriever = open_retriever(load_settings())
    retriever.embedder = CachingEmbedder(retriever.embedder)
    cases = load_cases(args.cases, retriever.kb)
    if args.grid == "zh":
        found = zh_grid(retriever, cases)
    else:
        found = [measure(retriever, cases, c) for c in variants()]
    rows = sorted(found, key=lambda r: -r["accuracy"])
    print("| variant | threshold | accuracy | top1 | top3 | oos_recall | false_decline |")
    print("|---|---|---|---|---|---|---|")
    for row in rows[: args.top]:
        rep = row["report"]
        label = describe(row["config"], args.grid)
        print(f"| {label} | {row['threshold']:.3f} | {row['accuracy']:.4f} | "
              f"{rep.top1} | {rep.top3} | {rep.oos_recall} | {rep.false_decline} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
