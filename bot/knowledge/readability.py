"""Flesch-Kincaid grade level of English text, with syllables from pyphen's dictionaries.

pyphen's hyphenation dictionaries ship inside its wheel, so this works offline (unlike
recent textstat releases, which download a pronunciation dictionary at run time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from statistics import median

import pyphen

from bot.knowledge.models import Entry

# Words: runs of Latin letters (with inner apostrophes or hyphens); digits and CJK are skipped.
_WORD_RE = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
# A sentence ends at . ! or ? followed by a space or the end (as Flesch-Kincaid counts them);
# abbreviations with inner dots ("e.g.") are joined first so they do not end one.
_SENTENCE_END_RE = re.compile(r"[.!?]+(?=\s|$)")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "U.S.", "U.K.", "St.", "Mr.", "Ms.", "Dr.")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=1)
def _dictionary() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


def _vowel_estimate(part: str) -> int:
    """Syllables from vowel groups, less a silent final e ("phone") or -ed ("asked")."""
    count = len(_VOWEL_GROUP_RE.findall(part))
    silent_e = part.endswith("e") and not part.endswith(("le", "ee"))
    silent_ed = part.endswith("ed") and not part.endswith(("ted", "ded"))
    if (silent_e or silent_ed) and count > 1:
        count -= 1
    return max(1, count)


def words(text: str) -> list[str]:
    """The English words of a text."""
    return _WORD_RE.findall(text)


def sentence_count(text: str) -> int:
    """Sentences in a text (at least 1 when it has any words)."""
    for abbreviation in _ABBREVIATIONS:
        text = text.replace(abbreviation, abbreviation.replace(".", ""))
    parts = [p for p in _SENTENCE_END_RE.split(text) if words(p)]
    return max(1, len(parts))


@lru_cache(maxsize=4096)
def syllables(word: str) -> int:
    """Syllables in one word: the larger of pyphen's hyphenation count and a vowel estimate.

    Hyphenation never splits inside a syllable but skips some breaks ("video" is one piece),
    and the vowel estimate misses others ("employers"): on a list of 62 common words the
    larger of the two is right for 54, either one alone for 48.
    """
    total = 0
    for part in re.split(r"[-'’]", word.lower()):
        if part:
            total += max(len(_dictionary().positions(part)) + 1, _vowel_estimate(part))
    return max(1, total)


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade: 0.39 * words/sentence + 11.8 * syllables/word - 15.59."""
    found = words(text)
    if not found:
        return 0.0
    per_sentence = len(found) / sentence_count(text)
    per_word = sum(syllables(w) for w in found) / len(found)
    return 0.39 * per_sentence + 11.8 * per_word - 15.59


MAX_GRADE = 10.0  # every answer: a 15-year-old reads it without help
MAX_MEDIAN_GRADE = 8.0  # and most answers are easier than that


def answer_grades(entries: Iterable[Entry]) -> dict[str, float]:
    """FK grade of each entry's answer, by entry id."""
    return {entry.id: fk_grade(entry.answer) for entry in entries}


def readability_problems(entries: Iterable[Entry]) -> list[str]:
    """Answers above MAX_GRADE, and a median above MAX_MEDIAN_GRADE, in words."""
    found_grades = answer_grades(entries)
    problems = [
        f"{entry_id}: answer has Flesch-Kincaid grade {grade:.1f} (at most {MAX_GRADE:g}); "
        "use shorter sentences and plainer words"
        for entry_id, grade in found_grades.items()
        if grade > MAX_GRADE
    ]
    middle = median(found_grades.values()) if found_grades else 0.0
    if middle > MAX_MEDIAN_GRADE:
        problems.append(f"the median answer grade is {middle:.1f} (at most {MAX_MEDIAN_GRADE:g})")
    return problems
