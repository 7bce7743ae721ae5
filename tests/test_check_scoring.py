"""The checker's fitted scoring model (bot/checking/scoring.py) and its fitting script."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bot.checking.result import FlagHit, Span
from bot.checking.scoring import FEATURES, RANK_PARTS, features, load_weights
from bot.errors import ScamWiseError
from tests.conftest import ROOT


def hit(flag_id: str, severity: str, by: str) -> FlagHit:
    return FlagHit(flag_id, flag_id, "why", severity, (Span(0, 1, "x"),), by)


@pytest.fixture
def fit() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fit_checker", ROOT / "scripts" / "fit_checker.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_stored_weights_read_and_raise_risk_with_red_flags() -> None:
    weights = load_weights()
    assert len(weights.coef) == len(FEATURES) and len(weights.rank) == len(RANK_PARTS)
    assert 0 < weights.warning <= weights.scam <= 1
    calm = weights.probability(features((), 0.3, 0.3, False))
    flagged = (hit("upfront-fee", "high", "pattern"), hit("urgency", "medium", "pattern"))
    alarmed = weights.probability(features(flagged, 0.7, 0.8, False))
    assert calm < weights.warning <= alarmed
    # the same flags inside protective wording ("we will never ask...") count for less
    assert weights.probability(features(flagged, 0.7, 0.8, True)) < alarmed


def test_features_split_rule_and_embedder_flags() -> None:
    values = features(
        (hit("a", "high", "pattern"), hit("b", "low", "embedding"), hit("c", "medium", "link")),
        0.6, 0.7, True, 0.4, -1.5,
    )  # fmt: skip
    assert values == (3.0, 0.5, 0.6, 0.7, 1.0, 3.5, 0.4, -1.5)


@pytest.mark.parametrize("content", ["", "{}", '{"bias": 1}', "not json"])
def test_bad_weights_file_names_itself(tmp_path: Path, content: str) -> None:
    path = tmp_path / "weights.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScamWiseError, match=r"weights\.json"):
        load_weights(path)


def test_weights_round_trip(tmp_path: Path) -> None:
    weights = replace(load_weights(), bias=-1.25)
    path = tmp_path / "w.json"
    path.write_text(json.dumps(weights.to_json()), encoding="utf-8")
    assert load_weights(path) == weights


def test_fit_verdict_separates_and_keeps_scam_threshold_strict(fit: ModuleType) -> None:
    rng = np.random.default_rng(0)
    ordinary = rng.normal(0.0, 0.5, (100, 2))
    scams = rng.normal(3.0, 0.5, (100, 2))
    x = np.vstack([ordinary, scams])
    y = np.array([0] * 100 + [1] * 100)
    bias, coef, warning, scam = fit.fit_verdict(x, y)
    p = 1 / (1 + np.exp(-(x @ coef + bias)))
    assert (p[y == 1] >= warning).mean() > 0.95 and (p[y == 0] >= warning).mean() < 0.05
    assert warning <= scam and (p[y == 0] >= scam).mean() <= fit.SCAM_FALSE_ALARM


def test_fit_rank_picks_the_part_that_ranks_the_right_entry_first(fit: ModuleType) -> None:
    # three entries; only the second part ("example_pieces") puts the wanted entry on top
    parts = [np.array([[0.9, 0.1, 0.0, 0.0], [0.1, 0.9, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]])] * 4
    wanted = [np.array([False, True, False])] * 4
    w = fit.fit_rank(parts, wanted)
    assert w[1] > w[0]
    assert fit.rank_hits(parts, wanted, w)[:, 0].all()


class _Checks:
    """The two things ExampleVectors reads from the checker's index."""

    def __init__(self, payloads: list[str]) -> None:
        self.payloads = payloads

    def __len__(self) -> int:
        return len(self.payloads)

    def vectors(self) -> np.ndarray:
        return np.eye(len(self.payloads), dtype=np.float32)


def test_an_entrys_closeness_is_the_mean_of_its_best_examples() -> None:
    from bot.checking.semantic import BEST_EXAMPLES, ExampleVectors

    assert BEST_EXAMPLES == 2
    vectors = ExampleVectors(_Checks(["entry:a", "entry:a", "entry:a", "entry:b"]))  # type: ignore[arg-type]
    assert vectors._best_means(np.array([0.1, 0.9, 0.5, 0.4])) == pytest.approx([0.7, 0.4])


def test_word_overlap_ranks_the_entry_whose_examples_share_the_words() -> None:
    from bot.checking.lexical import ExampleLexicon
    from bot.knowledge.models import Entry

    def entry(entry_id: str, examples: tuple[str, ...]) -> Entry:
        return Entry(entry_id, "fraud", entry_id, (), "", (), (), (), examples=examples)

    loan = ("贷款已审批，请先交解冻费", "loan approved, pay the insurance fee first")
    parcel = ("您的快递丢失，按三倍理赔", "your parcel is held, pay the redelivery fee")
    lexicon = ExampleLexicon([entry("loan", loan), entry("parcel", parcel)])
    traditional = lexicon.scores("您的快遞丟失了，我們按三倍理賠")  # read as Simplified
    assert traditional["parcel"] > traditional["loan"] >= 0.0
    english = lexicon.scores("Loan approved! Pay the insurance fee to release it")
    assert english["loan"] > english["parcel"]
    assert set(lexicon.scores("完全无关 zzz").values()) == {0.0}


@pytest.mark.parametrize(
    ("text", "protective"),
    [
        ("my cousin almost fell for one of those new number scams", True),
        ("regulators warn about fake trading apps promising 5% a day", True),
        ("面试不收取任何费用，请放心", True),
        ("證監會再提醒投資者只使用持牌平台", True),
        ("pay the fee today, regulators approved our platform", False),
        ("面试前需先交培训费", False),
    ],
)
def test_protective_wording(text: str, protective: bool) -> None:
    from bot.checking.context import protective_spans

    assert bool(protective_spans(text)) is protective


def test_a_check_without_the_embedder_uses_the_patterns_only_model() -> None:
    weights = load_weights()
    alone = weights.patterns_only
    assert alone is not None and alone.rank == weights.rank
    flagged = (hit("upfront-fee", "high", "pattern"), hit("urgency", "medium", "pattern"))
    values = features(flagged, 0.0, 0.0, False)  # no model: no similarities
    assert alone.probability(values) >= alone.warning
    assert alone.probability(features((), 0.0, 0.0, False)) < alone.warning
