"""Which languages a knowledge folder is written in: `languages.yaml`, English when absent.

When it names "zh-Hans", every user-facing item must carry its Simplified Chinese `zh` block
and a missing one is a build error; Traditional Chinese is generated, never written.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import Problem
from bot.knowledge.yaml_lines import FieldChecker, LineDict, read_yaml, suggest

LANGUAGES_FILE = "languages.yaml"
WRITTEN_LANGUAGES: tuple[str, ...] = ("en", "zh-Hans")  # zh-Hant is generated from zh-Hans
ENGLISH_ONLY: tuple[str, ...] = ("en",)


def needs_chinese(languages: tuple[str, ...]) -> bool:
    """Whether every item of the folder must have its `zh` block."""
    return "zh-Hans" in languages


def load_languages(directory: Path, file: str, problems: list[Problem]) -> tuple[str, ...]:
    """The folder's languages (English first); faults are reported and read as English only."""
    path = Path(directory) / LANGUAGES_FILE
    if not path.is_file():
        return ENGLISH_ONLY
    doc = read_yaml(path, file, problems)
    if doc is None:
        return ENGLISH_ONLY
    if not isinstance(doc.data, LineDict):
        problems.append(Problem(file, 1, "", "expected a mapping with languages: [en, zh-Hans]"))
        return ENGLISH_ONLY
    checker = FieldChecker(file, doc.data, problems)
    checker.check_keys(("languages",))
    languages = checker.text_list("languages", min_items=1) or ()
    found: list[str] = []
    for i, language, line in checker.indexed("languages"):
        if language == "zh-Hant":
            message = "zh-Hant is generated from zh-Hans (OpenCC); list zh-Hans instead"
            checker.report(f"languages[{i}]", message, line)
        elif language not in WRITTEN_LANGUAGES:
            hint = suggest(language, WRITTEN_LANGUAGES)
            message = f"unknown language '{language}'{hint}; expected one of: en, zh-Hans"
            checker.report(f"languages[{i}]", message, line)
        elif language in found:
            checker.report(f"languages[{i}]", f"'{language}' is listed twice", line)
        else:
            found.append(language)
    if languages and "en" not in found:
        checker.report("languages", "must include en: English is the text translations follow")
    return ("en", *(lang for lang in found if lang != "en")) if found else ENGLISH_ONLY
