"""Where to get help, by region: `knowledge/regions.yaml` validated into plain dataclasses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import Problem
from bot.knowledge.models import Entry
from bot.knowledge.parity import report_differences, report_list_differences, translation_block
from bot.knowledge.yaml_lines import FieldChecker, LineDict, read_yaml

REGIONS_FILE = "regions.yaml"
FILE_KEYS = ("checked", "hotline_line", "everywhere", "zh", "regions")
FILE_ZH_KEYS = ("hotline_line", "everywhere")
REGION_KEYS = ("id", "name", "flag", "guess", "lines", "zh")
REGION_ZH_KEYS = ("name",)
LINE_KEYS = ("kind", "text", "zh")
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
    zh: str | None = None  # the line in Simplified Chinese


@dataclass(frozen=True)
class Region:
    """A place with its own lines for reporting and advice."""

    id: str
    name: str
    flag: str
    guess: tuple[str, ...]
    lines: tuple[HelpLine, ...]
    zh_name: str | None = None  # `zh: {name: ...}`

    @property
    def label(self) -> str:
        """Flag and name, for buttons and headings."""
        return f"{self.flag} {self.name}"


@dataclass(frozen=True)
class BookTranslation:
    """The file-level texts in Simplified Chinese (`zh:` at the top of regions.yaml)."""

    hotline_line: str
    everywhere: tuple[str, ...]


@dataclass(frozen=True)
class RegionBook:
    """Every region in file order, the lines shown for all, and the entries' hotline line."""

    checked: str
    hotline_line: str
    everywhere: tuple[str, ...]
    regions: tuple[Region, ...]
    zh: BookTranslation | None = None

    def get(self, region_id: str | None) -> Region | None:
        """The region with this id, or None."""
        return next((r for r in self.regions if r.id == region_id), None)

    def guessed(self, language: str | None) -> list[Region]:
        """Regions that the message language points to, in file order (none when unknown)."""
        return [r for r in self.regions if language and language in r.guess]


def _line(checker: FieldChecker, require_zh: bool) -> HelpLine | None:
    checker.check_keys(LINE_KEYS)
    kind, text = checker.choice("kind", KINDS), checker.text("text")
    if require_zh and not checker.has("zh"):
        checker.report("zh", "missing the Chinese translation: add zh: <the line in Chinese>")
    zh = checker.text("zh", required=False)
    report_differences(checker, "zh", checker.mapping.get("text"), checker.mapping.get("zh"))
    if checker.has("zh") and zh is None:
        return None
    return HelpLine(kind, text, zh) if kind and text else None


def _languages(checker: FieldChecker) -> tuple[str, ...]:
    languages = checker.text_list("guess") or ()
    for i, language, line in checker.indexed("guess"):
        if language not in LANGUAGES:
            message = f"unknown language '{language}'; expected one of: {', '.join(LANGUAGES)}"
            checker.report(f"guess[{i}]", message, line)
    return tuple(language for language in languages if language in LANGUAGES)


def _region(checker: FieldChecker, require_zh: bool) -> Region | None:
    checker.check_keys(REGION_KEYS)
    region_id, name, flag = checker.text("id"), checker.text("name"), checker.text("flag")
    if region_id is not None and not REGION_ID_RE.match(region_id):
        checker.report("id", f"'{region_id}' must be 2-8 lowercase letters")
        region_id = None
    guess = _languages(checker)
    zh = translation_block(checker, REGION_ZH_KEYS, required=require_zh)
    zh_name = zh.text("name") if zh is not None else None
    lines = [_line(item, require_zh) for item in checker.items("lines")]
    if checker.has("lines") and not checker.mapping.get("lines"):
        checker.report("lines", "needs at least one line")
    if region_id is None or name is None or flag is None or not lines or None in lines:
        return None
    if zh is not None and zh_name is None:
        return None
    return Region(region_id, name, flag, guess, tuple(x for x in lines if x), zh_name)


def _book_translation(checker: FieldChecker, require_zh: bool) -> BookTranslation | None:
    """The top-level zh block: the hotline line and the lines for everyone, in Chinese."""
    zh = translation_block(checker, FILE_ZH_KEYS, required=require_zh)
    if zh is None:
        return None
    hotline = zh.text("hotline_line")
    report_differences(zh, "hotline_line", checker.mapping.get("hotline_line"), hotline)
    everywhere = zh.text_list("everywhere", required=checker.has("everywhere")) or ()
    report_list_differences(checker, "everywhere", zh, "everywhere")
    if checker.has("everywhere") is not zh.has("everywhere"):
        zh.report("everywhere", "the English and Chinese must both have everywhere, or neither")
    if hotline is None:
        return None
    return BookTranslation(" ".join(hotline.split()), everywhere)


def validate_regions(checker: FieldChecker, *, require_zh: bool = False) -> RegionBook | None:
    """Validate the parsed file; every fault is reported with its line. With `require_zh`,
    the file, each region and each line need their Chinese (`zh`)."""
    checker.check_keys(FILE_KEYS)
    checked, hotline = checker.text("checked"), checker.text("hotline_line")
    everywhere = checker.text_list("everywhere", required=False) or ()
    zh = _book_translation(checker, require_zh)
    regions: list[Region] = []
    seen: dict[str, int] = {}
    for item in checker.items("regions"):
        region = _region(item, require_zh)
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
    if checker.has("zh") and zh is None:
        return None
    return RegionBook(checked, " ".join(hotline.split()), everywhere, tuple(regions), zh)


def load_regions(
    directory: Path, file: str, problems: list[Problem], *, require_zh: bool = False
) -> RegionBook | None:
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
    return validate_regions(FieldChecker(file, doc.data, problems), require_zh=require_zh)


def _hand_written(text: str, numbers: set[str], hotline_line: str) -> bool:
    """Whether a what_to_do item names several hotline numbers but is not the hotline line."""
    found = numbers & set(_NUMBER_RE.findall(text))
    return len(found) >= _HOTLINE_NUMBERS and " ".join(text.split()) != hotline_line


def check_hotline_lines(
    book: RegionBook, entries: list[tuple[Entry, FieldChecker]], problems: list[Problem]
) -> None:
    """Report what_to_do items that list regional hotlines by hand instead of the hotline line,
    in English and in the entries' zh blocks (which must use the zh hotline_line).

    The standard line is replaced by the user's region's lines when shown; a hand-written one
    would show every region's numbers, and could disagree with regions.yaml.
    """
    numbers = set(_NUMBER_RE.findall(book.hotline_line))
    for _entry, checker in entries:
        english = checker.indexed("what_to_do")
        for i, text, line in english:
            if _hand_written(text, numbers, book.hotline_line):
                message = "lists regional hotlines; write the hotline_line of regions.yaml instead"
                checker.report(f"what_to_do[{i}]", message, line)
        zh = checker.mapping.get("zh")
        if book.zh is None or not isinstance(zh, LineDict):
            continue
        zh_checker = FieldChecker(checker.file, zh, problems, f"{checker.prefix}zh.")
        is_hotline = {i for i, text, _ in english if " ".join(text.split()) == book.hotline_line}
        for i, text, line in zh_checker.indexed("what_to_do"):
            written = " ".join(text.split())
            if written == book.zh.hotline_line:
                continue
            if i in is_hotline or _hand_written(text, numbers, book.zh.hotline_line):
                message = (
                    "lists regional hotlines; write the zh hotline_line of regions.yaml, "
                    f"word for word: {book.zh.hotline_line}"
                )
                zh_checker.report(f"what_to_do[{i}]", message, line)
