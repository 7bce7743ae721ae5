"""Traditional Chinese, generated from the Simplified reply with OpenCC plus an override list.

The phrase set follows where the user is: Hong Kong (`s2hk`), Taiwan (`s2twp`, Taiwan words
such as 軟體, 簡訊), else plain Traditional characters (`s2t`). The region chosen with /region
decides; without one, Telegram's language_code (zh-hk, zh-tw); else `s2t`.

`knowledge/zh-hant-overrides.yaml` fixes terms OpenCC gets wrong for this subject: each item
names a Simplified term and what it must become in one or more of the variants hk, tw, hant.
After OpenCC has converted a text, OpenCC's own conversion of that term is replaced.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import KnowledgeError, Problem
from bot.knowledge.yaml_lines import FieldChecker, read_yaml, top_level_list

OVERRIDES_FILE = "zh-hant-overrides.yaml"
VARIANTS: dict[str, str] = {"hk": "s2hk", "tw": "s2twp", "hant": "s2t"}
_REGION_VARIANTS = {"hk": "hk", "mo": "hk", "tw": "tw"}
_CODE_VARIANTS = {"zh-hk": "hk", "zh-mo": "hk", "zh-tw": "tw"}
OVERRIDE_KEYS = ("zh", *VARIANTS, "why")
_CJK = re.compile(r"[\u3400-\u9fff]")


@functools.cache
def _converter(config: str) -> object:
    import opencc

    return opencc.OpenCC(config)


def opencc_convert(text: str, variant: str) -> str:
    """`text` through OpenCC's converter for the variant (hk, tw or hant), no overrides."""
    converted: str = _converter(VARIANTS[variant]).convert(text)  # type: ignore[attr-defined]
    return converted


def variant_for(region: str | None, language_code: str | None) -> str:
    """hk, tw or hant: by the user's region, else by their Telegram language_code."""
    if region in _REGION_VARIANTS:
        return _REGION_VARIANTS[region]
    code = (language_code or "").strip().lower().replace("_", "-")
    return _CODE_VARIANTS.get(code, "hant")


@dataclass(frozen=True)
class Override:
    """A Simplified term and what it must become in each variant it names."""

    zh: str
    targets: dict[str, str]
    line: int = 0


class Traditional:
    """Converts Simplified text to Traditional for one variant, overrides applied."""

    def __init__(self, overrides: Iterable[Override] = ()) -> None:
        self.overrides = tuple(overrides)
        self._fixes: dict[str, list[tuple[str, str]]] = {}
        for variant in VARIANTS:
            fixes = [
                (opencc_convert(o.zh, variant), o.targets[variant])
                for o in self.overrides
                if variant in o.targets
            ]
            # Longest first, so that a phrase wins over a word inside it.
            self._fixes[variant] = sorted(fixes, key=lambda fix: -len(fix[0]))

    def convert(self, text: str, variant: str) -> str:
        """Simplified `text` in Traditional characters and the variant's words."""
        if not text or not _CJK.search(text):
            return text
        out = opencc_convert(text, variant)
        for wrong, right in self._fixes[variant]:
            out = out.replace(wrong, right)
        return out


def _override(checker: FieldChecker) -> Override | None:
    checker.check_keys(OVERRIDE_KEYS)
    zh = checker.text("zh")
    if zh is not None and not _CJK.search(zh):
        checker.report("zh", f"'{zh}' must be a Simplified Chinese term")
        zh = None
    targets = {}
    for variant in VARIANTS:
        target = checker.text(variant, required=False)
        if target is not None:
            targets[variant] = target
    if not targets and zh is not None:
        checker.report("zh", "needs at least one of: " + ", ".join(VARIANTS))
    if zh is None or not targets:
        return None
    return Override(zh, targets, checker.line())


def load_overrides(directory: Path, file: str | None = None) -> tuple[Override, ...]:
    """The overrides in `<directory>/zh-hant-overrides.yaml` (none when the file is absent).

    Raises KnowledgeError naming file, line and field for every fault.
    """
    path = directory / OVERRIDES_FILE
    if not path.is_file():
        return ()
    problems: list[Problem] = []
    name = file or f"{directory.name}/{OVERRIDES_FILE}"
    doc = read_yaml(path, name, problems)
    overrides: list[Override] = []
    seen: dict[str, int] = {}
    if doc is not None:
        for checker in top_level_list(doc, "overrides", problems):
            override = _override(checker)
            if override is None:
                continue
            if override.zh in seen:
                message = f"'{override.zh}' is listed twice (first at line {seen[override.zh]})"
                checker.report("zh", message)
                continue
            seen[override.zh] = override.line
            overrides.append(override)
    if problems:
        raise KnowledgeError(problems)
    return tuple(overrides)


def load_traditional(directory: Path) -> Traditional:
    """The converter with the knowledge folder's overrides."""
    return Traditional(load_overrides(directory))
