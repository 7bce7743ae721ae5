"""A text read as terms for linear text models: words and word pairs, character n-grams, then
sublinear TF-IDF (the checker's text model and the search's scope model read text this way, and
their fitting scripts use the same functions, so fitted weights and reading cannot drift)."""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import pairwise
from typing import Any

from bot.checking.normalise import simplified

CHAR_NGRAMS = (1, 4)  # shortest and longest character n-gram
MAX_CHARS = 2000  # n-grams are read from the start of a message (scams say what they want early)
_DIGITS = re.compile(r"\d")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z][a-z']+")


def normalised(text: str) -> str:
    """Lower case, Simplified, every digit 0 (amounts and numbers vary, their shape does not),
    runs of white space one space."""
    text = simplified(text[:MAX_CHARS]).lower()
    return _SPACE.sub(" ", _DIGITS.sub("0", text)).strip()


def terms(text: str) -> Counter[str]:
    """The message's terms: words and word pairs (`w:`), character n-grams (`c:`)."""
    norm = normalised(text)
    out: Counter[str] = Counter()
    words = _WORD.findall(norm)
    out.update(f"w:{w}" for w in words)
    out.update(f"w:{a} {b}" for a, b in pairwise(words))
    low, high = CHAR_NGRAMS
    padded = f" {norm} "
    for n in range(low, high + 1):
        out.update(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    return out


def weighted(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """Sublinear TF-IDF of the known terms, L2-normalised (what the model was fitted on)."""
    values = {t: (1.0 + math.log(c)) * idf[t] for t, c in counts.items() if t in idf}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {t: v / norm for t, v in values.items()} if norm else {}


def read_terms(data: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """idf and weight per term from a stored model (`{"char_ngrams", "terms": {t: [idf, w]}}`);
    ValueError when it was fitted on other n-grams than this code reads."""
    if tuple(data["char_ngrams"]) != CHAR_NGRAMS:
        raise ValueError(f"char_ngrams {data['char_ngrams']} but the code reads {CHAR_NGRAMS}")
    pairs = data["terms"]
    idf = {str(t): float(p[0]) for t, p in pairs.items()}
    return idf, {str(t): float(p[1]) for t, p in pairs.items()}
