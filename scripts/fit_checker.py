"""Fit the message checker's weights and text model on labelled messages, by k-fold
cross-validation.

    python scripts/fit_checker.py tests/data/messages.yaml tests/data/messages_more/*.yaml \
        [--folds 5] [--write]

Reads each message's signals once (flags, similarities, the retriever's and the flags' scores
per entry), then per fold fits on the other folds and scores the held-back one: the text model
(TF-IDF logistic regression, whose logit is one of the verdict's inputs: out-of-fold logits on
the training folds, so the verdict model learns how far to trust it on unseen text), a logistic
verdict model (thresholds picked on the training folds) and the type-ranking weights (a grid
over the simplex). Prints the pooled cross-validated figures; with --write, fits on every
message and writes bot/checking/weights.json and bot/checking/textmodel.json. Never run it on
a held-out file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.checking.scoring import FEATURES, RANK_PARTS, WEIGHTS_FILE, ScoringWeights
from bot.checking.textmodel import TEXT_MODEL_FILE, TextModel
from scripts.fit_text import fit_all

TEXT = FEATURES.index("text_logit")
TYPE = RANK_PARTS.index("text_type")
INNER_FOLDS = 5

SCAM_FALSE_ALARM = 0.01  # "looks like a scam" may be said of at most this share of ordinary ones
GRID_STEP = 0.1  # 1001 candidate weightings of the five ranking parts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "cases", type=Path, nargs="+", help="YAML lists of labelled messages (dev sets)"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write the weights fitted on all")
    parser.add_argument(
        "--failures", type=int, default=0, help="list this many cross-validated misses"
    )
    return parser.parse_args(argv)


def fit_verdict(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, float, float]:
    """Logistic regression, then the warning threshold maximising recall minus false alarm."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit(x, y)
    bias, coef = float(model.intercept_[0]), model.coef_[0].astype(float)
    p = 1.0 / (1.0 + np.exp(-(x @ coef + bias)))
    best, warning = -1.0, 0.5
    for t in np.unique(p):
        gain = float((p[y == 1] >= t).mean() - (p[y == 0] >= t).mean())
        if gain > best:
            best, warning = gain, float(t)
    ordinary = np.sort(p[y == 0])
    allowed = int(np.floor(SCAM_FALSE_ALARM * len(ordinary)))
    scam = float(ordinary[-allowed - 1]) + 1e-6 if len(ordinary) > allowed else 1.0
    return bias, coef, warning, max(scam, warning)


def rank_hits(parts: list[np.ndarray], wanted: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    """(top-1, top-3) hit per typed case for ranking weights `w`."""
    if not parts:
        return np.zeros((0, 2))
    scores = np.stack(parts) @ w  # (cases, entries)
    ok = np.stack(wanted)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :3]
    hit = np.take_along_axis(ok, order, axis=1)
    return np.stack([hit[:, 0], hit.any(axis=1)], axis=1).astype(float)


def fit_rank(parts: list[np.ndarray], wanted: list[np.ndarray]) -> np.ndarray:
    """The simplex-grid weights with the most top-1 plus top-3 hits."""
    steps = np.arange(0.0, 1.0 + 1e-9, GRID_STEP)
    size = parts[0].shape[1] if parts else len(RANK_PARTS)
    best, best_w = -1.0, np.full(size, 1.0 / size)
    for head in itertools.product(steps, repeat=size - 1):
        if sum(head) > 1.0 + 1e-9:
            continue
        w = np.array([*head, max(1.0 - sum(head), 0.0)])
        score = float(rank_hits(parts, wanted, w).sum())
        if score > best + 1e-9:
            best, best_w = score, w
    return best_w


def _share(values: np.ndarray) -> float | None:
    return round(float(values.mean()), 4) if len(values) else None


def cv_figures(
    verdict: np.ndarray, ranks: np.ndarray, y: np.ndarray, typed: np.ndarray
) -> dict[str, float | None]:
    """The pooled figures of cross-validated verdicts (0 none, 1 warning, 2 scam) and ranks."""
    return {
        "detection_recall": _share(verdict[y == 1] > 0),
        "scam_verdict_recall": _share(verdict[y == 1] == 2),
        "false_alarm": _share(verdict[y == 0] > 0),
        "type_top1": _share(ranks[typed, 0]),
        "type_top3": _share(ranks[typed, 1]),
    }


def patterns_only(x: np.ndarray) -> np.ndarray:
    """The features as a check without the embedder sees them: its similarities are 0."""
    out = x.copy()
    out[:, [FEATURES.index("embedding_risk"), FEATURES.index("flag_similarity"),
            FEATURES.index("example_similarity")]] = 0.0  # fmt: skip
    return out


def fitted(
    bias: float, coef: np.ndarray, warning: float, scam: float, rank: tuple[float, ...]
) -> ScoringWeights:
    """Rounded weights, as stored."""
    coefs = tuple(round(float(c), 4) for c in coef)
    return ScoringWeights(round(bias, 4), coefs, round(warning, 4), round(scam, 4), rank)


@dataclass
class Rows:
    """What the text model's stage needs of the cases (see `with_text_model`)."""

    texts: list[str]
    y: np.ndarray
    labels: list[str | None]  # the expected entry of a typed scam, else None
    examples: list[tuple[str, str]]  # the knowledge base's (example, entry id) pairs
    ids: list[str]  # scam entry ids, in the order of the ranking parts' rows


def _fit(rows: Rows, keep: np.ndarray) -> TextModel:
    texts = [t for t, k in zip(rows.texts, keep, strict=True) if k]
    typed = [(t, lab) for t, lab, k in zip(rows.texts, rows.labels, keep, strict=True)
             if k and lab] + rows.examples  # fmt: skip
    return fit_all(texts, rows.y[keep], typed)


def _fill(model: TextModel, rows: Rows, at: np.ndarray, x: np.ndarray, parts: list) -> None:
    for i in np.flatnonzero(at):
        logit, kinds = model.read(rows.texts[i])
        x[i, TEXT] = logit
        parts[i] = parts[i].copy()
        parts[i][:, TYPE] = [kinds.get(e, 0.0) for e in rows.ids]


def with_text_model(
    x: np.ndarray, parts: list[np.ndarray], rows: Rows, train: np.ndarray, seed: int = 7
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Features and ranking parts with the text model's logit and type probabilities filled
    in: out-of-fold within the training rows (so the weights fitted on them learn how far to
    trust the model on unseen text), from a model fitted on all training rows elsewhere."""
    x, parts = x.copy(), list(parts)
    inner = np.random.default_rng(seed).permutation(len(rows.texts)) % INNER_FOLDS
    for k in range(INNER_FOLDS):
        _fill(_fit(rows, train & (inner != k)), rows, train & (inner == k), x, parts)
    if (~train).any():
        _fill(_fit(rows, train), rows, ~train, x, parts)
    return x, parts


def main(argv: list[str] | None = None) -> int:
    """Read the signals, cross-validate, print the figures, optionally write the weights."""
    args = parse_args(argv)
    from bot.app import open_checker, open_retriever
    from bot.checking.evaluation import load_message_cases
    from bot.settings import load_settings

    cases = [case for path in args.cases for case in load_message_cases(path)]
    settings = load_settings()
    # Signals without a text model (its logit reads 0), filled in per fold, and with neutral
    # weights: signals do not depend on them, and the stored ones may predate a new feature.
    neutral = ScoringWeights(0.0, (0.0,) * len(FEATURES), 0.5, 0.5, (1.0,) * len(RANK_PARTS))
    checker = open_checker(settings, open_retriever(settings), TextModel({}, {}, 0.0), neutral)
    signals = [checker.signals_many([c.text])[0] for c in cases]
    ids = checker.scam_ids
    texts = [c.text for c in cases]
    x = np.array([s.features for s in signals], dtype=float)
    y = np.array([c.scam for c in cases], dtype=int)
    zero = (0.0,) * len(RANK_PARTS)
    parts = [np.array([s.parts.get(e, zero) for e in ids]) for s in signals]
    wanted = [np.array([e in {c.expect, *c.also} for e in ids]) for c in cases]
    typed = np.array([c.scam and bool(c.expect) for c in cases])
    examples = [(ex, e.id) for e in checker.kb.entries if e.id in set(ids) for ex in e.examples]
    corpus = Rows(texts, y, [c.expect if c.scam else None for c in cases], examples, ids)

    rng = np.random.default_rng(11)
    fold = np.zeros(len(cases), dtype=int)
    for label in (0, 1):  # stratified: each fold has its share of scams and ordinary ones
        rows = rng.permutation(np.flatnonzero(y == label))
        fold[rows] = np.arange(len(rows)) % args.folds
    verdict = np.zeros(len(cases), dtype=int)  # 0 none, 1 warning, 2 scam
    ranks = np.zeros((len(cases), 2))
    for k in range(args.folds):
        train, test = fold != k, fold == k
        xk, pk = with_text_model(x, parts, corpus, train)
        bias, coef, warning, scam = fit_verdict(xk[train], y[train])
        p = 1.0 / (1.0 + np.exp(-(xk[test] @ coef + bias)))
        verdict[test] = (p >= warning).astype(int) + (p >= scam).astype(int)
        tr = [i for i in np.flatnonzero(train & typed)]
        w = fit_rank([pk[i] for i in tr], [wanted[i] for i in tr])
        te = [i for i in np.flatnonzero(test & typed)]
        ranks[te] = rank_hits([pk[i] for i in te], [wanted[i] for i in te], w)
    names = " ".join(str(p) for p in args.cases)
    print(f"{args.folds}-fold cross-validated on {len(cases)} messages of {names}: "
          f"{json.dumps(cv_figures(verdict, ranks, y, typed))}")  # fmt: skip
    for i in np.flatnonzero((verdict > 0) != (y == 1))[: args.failures]:
        case = cases[i]
        said = ("none", "warning", "scam")[verdict[i]]
        text = " ".join(case.text.split())[:110]
        print(f"  [{'missed' if case.scam else 'false alarm'}: {said}] {case.lang} {text}")
    langs = np.array([c.lang for c in cases])
    for lang in sorted(set(langs)):
        rows = langs == lang
        figures = cv_figures(verdict[rows], ranks[rows], y[rows], typed[rows])
        print(f"  {lang} (n={int(rows.sum())}): {json.dumps(figures)}")
    if args.write:
        everything = np.ones(len(cases), dtype=bool)
        x, parts = with_text_model(x, parts, corpus, everything)
        bias, coef, warning, scam = fit_verdict(x, y)
        tr = list(np.flatnonzero(typed))
        w = fit_rank([parts[i] for i in tr], [wanted[i] for i in tr])
        rank = tuple(round(float(v), 4) for v in w)
        alone = fitted(*fit_verdict(patterns_only(x), y), rank)
        weights = replace(fitted(bias, coef, warning, scam, rank), patterns_only=alone)
        WEIGHTS_FILE.write_text(json.dumps(weights.to_json(), indent=2) + "\n", encoding="utf-8")
        model = _fit(corpus, everything)
        TEXT_MODEL_FILE.write_text(
            json.dumps(model.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n",
            encoding="utf-8",
        )
        print(f"wrote {TEXT_MODEL_FILE} ({len(model.idf)} terms)")
        print(f"wrote {WEIGHTS_FILE} (rank weights {dict(zip(RANK_PARTS, w, strict=True))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
