"""Where to get help, by region: `knowledge/regions.yaml` validated into plain dataclasses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import Problem
from bot.knowledge.models import Entry
from bot.knowledge.yaml_lines import FieldChecker, LineDict, read_yaml

REGIONS_FILE = "regions.yaml"
FILE_KEYS = ("checked", "hotline_line", "everywhere", "regions")
REGION_KEYS = ("id", "name", "flag", "guess", "lines")
LINE_KEYS = ("kind", "text")
KINDS = ("report", "advice", "hotline", "check", "emergency", "abroad")
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
REGION_ID_RE = re.compile(r"^[a-z]{2,8}$")  # short: it travels in 64-byte callback data
_NUMBER_RE = re.compile(r"\d{3,}")
# An entry line naming this many of the hotline line's numbers is a hand-written hotline line.
_HOTLINE_NUMBERS = 3


@dataclass(frozen=True)
class HelpLine:
    """One number or service, and what it is for (one of KINDS)."""

    kind: str
    text: str


@dataclass(frozen=True)
class Region:
    """A place with its own lines for reporting and advice."""

    id: str
    name: str
    flag: str
    guess: tuple[str, ...]
    lines: tuple[HelpLine, ...]

    @property
    def label(self) -> str:
        """Flag and name, for buttons and headings."""
        return f"{self.flag} {self.name}"


@dataclass(frozen=True)
class RegionBook:
    """Every region in file order, the lines shown for all, and the entries' hotline line."""

    checked: str
    hotline_line: str
    everywhere: tuple[str, ...]
    regions: tuple[Region, ...]

    def get(self, region_id: str | None) -> Region | None:
        """The region with this id, or None."""
        return next((r for r in self.regions if r.id == region_id), None)

    def guessed(self, language: str | None) -> list[Region]:
        """Regions that the message language points to, in file order (none when unknown)."""
        return [r for r in self.regions if language and language in r.guess]


def _line(checker: FieldChecker) -> HelpLine | None:
    checker.check_keys(LINE_KEYS)
    kind, text = checker.choice("kind", KINDS), checker.text("text")
    return HelpLine(kind, text) if kind and text else None


def _languages(checker: FieldChecker) -> tuple[str, ...]:
    languages = checker.text_list("guess") or ()
    for i, language, line in checker.indexed("guess"):
        if language not in LANGUAGES:
            message = f"unknown language '{language}'; expected one of: {', '.join(LANGUAGES)}"
            checker.report(f"guess[{i}]", message, line)
    return tuple(language for language in languages if language in LANGUAGES)


def _region(checker: FieldChecker) -> Region | None:
    checker.check_keys(REGION_KEYS)
    region_id, name, flag = checker.text("id"), checker.text("name"), checker.text("flag")
    if region_id is not None and not REGION_ID_RE.match(region_id):
        checker.report("id", f"'{region_id}' must be 2-8 lowercase letters")
        region_id = None
    guess = _languages(checker)
    lines = [line for line in map(_line, checker.items("lines")) if line is not None]
    if checker.has("lines") and not checker.mapping.get("lines"):
        checker.report("lines", "needs at least one line")
    if region_id is None or name is None or flag is None or not lines:
        return None
    return Region(region_id, name, flag, guess, tuple(lines))


def validate_regions(checker: FieldChecker) -> RegionBook | None:
    """Validate the parsed file; every fault is reported with its line."""
    checker.check_keys(FILE_KEYS)
    checked, hotline = checker.text("checked"), checker.text("hotline_line")
    everywhere = checker.text_list("everywhere", required=False) or ()
    regions: list[Region] = []
    seen: dict[str, int] = {}
    for item in checker.items("regions"):
        region = _region(item)
        if region is None:
            continue
        if region.id in seen:
            message = (
                f"duplicate region id '{region.id}' (first defined at line {seen[region.id]})"
            )
            item.report("id", message)
            continue
        seen[region.id] = item.line("id")
        regions.append(region)
    if checker.has("regions") and not checker.mapping.get("regions"):
        checker.report("regions", "needs at least one valid region")
    if checked is None or hotline is None or not regions:
        return None
    return RegionBook(checked, " ".join(hotline.split()), everywhere, tuple(regions))


def load_regions(directory: Path, file: str, problems: list[Problem]) -> RegionBook | None:
    """Read `<dir>/regions.yaml` if it exists (None when absent or invalid)."""
    path = directory / REGIONS_FILE
    if not path.is_file():
        return None
    doc = read_yaml(path, file, problems)
    if doc is None:
        return None
    if not isinstance(doc.data, LineDict):
        problems.append(Problem(file, 1, "", "expected a mapping with checked, regions, ..."))
        return None
    return validate_regions(FieldChecker(file, doc.data, problems))


def check_hotline_lines(
    book: RegionBook, entries: list[tuple[Entry, FieldChecker]], problems: list[Problem]
) -> None:
    """Report what_to_do items that list regional hotlines by hand instead of the hotline line.

    The standard line is replaced by the user's region's lines when shown; a hand-written one
    would show every region's numbers, and could disagree with regions.yaml.
    """
    numbers = set(_NUMBER_RE.findall(book.hotline_line))
    for _entry, checker in entries:
        for i, text, line in checker.indexed("what_to_do"):
            found = numbers & set(_NUMBER_RE.findall(text))
            if len(found) >= _HOTLINE_NUMBERS and " ".join(text.split()) != book.hotline_line:
                message = "lists regional hotlines; write the hotline_line of regions.yaml instead"
                checker.report(f"what_to_do[{i}]", message, line)
