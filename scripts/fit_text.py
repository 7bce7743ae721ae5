"""Fitting the checker's text model (bot/checking/textmodel.py): used by fit_checker.py.

Terms come from `textmodel.terms`, the same function the bot reads messages with, so the fitted
weights and the bot's reading cannot drift apart. Needs scikit-learn (a dev dependency).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.checking.textmodel import TextModel, TypeWeights
from bot.search.textterms import terms, weighted

MIN_DF = 2  # a term must appear in this many training messages
C = 32.0  # inverse regularisation of the logistic regression (chosen by cross-validation)
KEEP = 40000  # terms stored: the largest weights (the rest change a logit by < 1e-3)
TYPE_C = 8.0  # the same for the type model
TYPE_KEEP = 500  # terms kept per scam type


def idf_of(docs: Sequence[Counter[str]]) -> dict[str, float]:
    """Smoothed idf of the terms in at least MIN_DF documents."""
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    n = len(docs)
    return {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items() if c >= MIN_DF}


def fit_text_model(texts: Sequence[str], y: np.ndarray, c: float = C) -> TextModel:
    """TF-IDF plus balanced logistic regression on `texts` labelled `y` (1 scam, 0 ordinary)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    docs = [terms(t) for t in texts]
    idf = idf_of(docs)
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([weighted(d, idf) for d in docs]).tocsr()
    x.indices, x.indptr = x.indices.astype(np.int32), x.indptr.astype(np.int32)  # liblinear's
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, solver="liblinear")
    model.fit(x, y)
    names = vectorizer.get_feature_names_out()
    weights = model.coef_[0]
    keep = np.argsort(-np.abs(weights))[:KEEP]
    coef = {str(names[i]): round(float(weights[i]), 5) for i in keep}
    return TextModel(
        {t: round(v, 5) for t, v in idf.items()}, coef, round(float(model.intercept_[0]), 5)
    )


def fit_types(
    texts: Sequence[str], labels: Sequence[str], idf: dict[str, float]
) -> dict[str, TypeWeights]:
    """Multinomial logistic regression of the scam type (entry id) on the same TF-IDF terms,
    each type's TYPE_KEEP largest weights kept."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform([weighted(terms(t), idf) for t in texts])
    model = LogisticRegression(C=TYPE_C, max_iter=3000)
    model.fit(x, list(labels))
    names = vectorizer.get_feature_names_out()
    coefs, biases = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # scikit-learn keeps one row for two classes: softmax of ±z/2
        coefs, biases = (
            np.vstack([-coefs[0] / 2, coefs[0] / 2]),
            np.array([-biases[0] / 2, biases[0] / 2]),
        )
    out: dict[str, TypeWeights] = {}
    for row, entry_id in enumerate(model.classes_):
        weights = coefs[row]
        keep = np.argsort(-np.abs(weights))[:TYPE_KEEP]
        coef = {str(names[i]): round(float(weights[i]), 5) for i in keep}
        out[str(entry_id)] = TypeWeights(round(float(biases[row]), 5), coef)
    return out


def fit_all(
    texts: Sequence[str], y: np.ndarray, typed: Sequence[tuple[str, str]], c: float = C
) -> TextModel:
    """The scam model on `texts`/`y` and the type model on `typed` (text, entry id) pairs."""
    model = fit_text_model(texts, y, c)
    types = fit_types([t for t, _ in typed], [e for _, e in typed], model.idf)
    return TextModel(model.idf, model.coef, model.bias, types)


def out_of_fold_logits(
    texts: Sequence[str], y: np.ndarray, folds: int = 5, seed: int = 7, c: float = C
) -> np.ndarray:
    """Each message's logit from a model fitted without it (stacking input for the verdict)."""
    fold = np.random.default_rng(seed).permutation(len(texts)) % folds
    out = np.zeros(len(texts))
    for k in range(folds):
        train = np.flatnonzero(fold != k)
        model = fit_text_model([texts[int(i)] for i in train], y[train], c)
        for i in np.flatnonzero(fold == k):
            out[i] = model.logit(texts[int(i)])
    return out
