"""The linear text models: the checker's scam/type model and the search's scope model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.checking.textmodel import TextModel, load_text_model
from bot.errors import ScamWiseError
from bot.search.scope import ScopeModel, load_scope
from bot.search.textterms import normalised, terms, weighted


def test_terms_read_traditional_as_simplified_and_digits_as_zero() -> None:
    assert normalised("  解凍費  HK$1280 ") == "解冻费 hk$0000"
    assert terms("解凍費") == terms("解冻费")
    assert "w:pay now" in terms("Pay NOW")
    assert "c:000" in terms("call 911")


def test_weighted_is_unit_length_and_skips_unknown_terms() -> None:
    vector = weighted(terms("pay the fee"), {"w:pay": 2.0, "w:fee": 1.0, "w:nothing": 3.0})
    assert set(vector) == {"w:pay", "w:fee"}
    assert sum(v * v for v in vector.values()) == pytest.approx(1.0)
    assert weighted(terms("你好"), {"w:pay": 1.0}) == {}


def _fit(texts: list[str], y: list[int]) -> TextModel:
    from scripts.fit_text import fit_all

    typed = [(t, "a" if "fee" in t else "b") for t, s in zip(texts, y, strict=True) if s]
    return fit_all(texts, np.array(y), typed)


def test_a_fitted_model_reads_scams_higher_and_names_their_type(tmp_path: Path) -> None:
    scams = ["pay the fee to unlock your parcel", "pay a small fee now to release it",
             "send USDT to get double back", "send crypto now and get double"]  # fmt: skip
    ordinary = ["see you at lunch", "your parcel arrives today, nothing to pay",
                "lunch at noon?", "the class starts at nine"]  # fmt: skip
    model = _fit(scams + ordinary, [1] * 4 + [0] * 4)
    assert model.logit("pay the fee to release your parcel") > model.logit("see you at lunch")
    _, kinds = model.read("pay the fee now")
    assert max(kinds, key=kinds.__getitem__) == "a"
    path = tmp_path / "textmodel.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    again = load_text_model(path)
    assert again.logit("pay the fee") == pytest.approx(model.logit("pay the fee"))


@pytest.mark.parametrize("content", ["", "{}", '{"char_ngrams": [2, 9], "bias": 0, "terms": {}}'])
def test_a_bad_model_file_names_itself(tmp_path: Path, content: str) -> None:
    for name, load in (("textmodel.json", load_text_model), ("scope.json", load_scope)):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ScamWiseError, match=name.replace(".", r"\.")):
            load(path)


def test_the_shipped_models_load() -> None:
    assert load_text_model().types  # the type model is in the shipped file
    assert set(load_scope().cuts) == {"en", "zh"}


def test_scope_declines_a_how_to_question_that_scores_like_an_entry() -> None:
    model = ScopeModel({"w:refund": 1.0, "w:scam": 1.0}, {"w:refund": -3.0, "w:scam": 3.0},
                       0.0, 0.0, 1.0, 1.0, {"en": 0.5})  # fmt: skip
    assert model.answers("is this refund call a scam", 0.1, "en")
    assert not model.answers("how do i get a refund", 0.1, "en")
    # a clear margin over the threshold outweighs the wording
    assert model.answers("how do i get a refund", 5.0, "en")
