"""Line-aware YAML reading and small field checkers that turn faults into Problems.

Mappings load as `LineDict` and sequences as `LineList`, which remember 1-based line numbers,
so a validator can point a maintainer at the exact line of a bad key or list item.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.errors import Problem

KEBAB_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_MERGE_TAG = "tag:yaml.org,2002:merge"


class LineDict(dict[Any, Any]):
    """A mapping loaded from YAML that remembers its own line and the line of each key."""

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int, int]] = []  # (key, first line, repeated line)


class LineList(list[Any]):
    """A sequence loaded from YAML that remembers its own line and the line of each item."""

    def __init__(self, line: int = 0, item_lines: Iterable[int] = ()) -> None:
        super().__init__()
        self.line = line
        self.item_lines = list(item_lines)

    def line_of(self, index: int) -> int:
        """The 1-based line of item `index`, or of the list when unknown."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


def _line(node: Node) -> int:
    """The 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _find_duplicates(node: MappingNode, data: LineDict) -> None:
    """Record keys written twice in one mapping (YAML itself silently keeps the last)."""
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
            continue
        if key_node.value in seen:
            data.duplicates.append((key_node.value, seen[key_node.value], _line(key_node)))
        else:
            seen[key_node.value] = _line(key_node)


def _construct_map(loader: LineLoader, node: MappingNode) -> Iterator[LineDict]:
    """Build a LineDict, recording the line of the mapping and of each key."""
    data = LineDict(_line(node))
    yield data
    _find_duplicates(node, data)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from exc
        data[key] = loader.construct_object(value_node, deep=False)
        data.key_lines[key] = _line(key_node)


def _construct_seq(loader: LineLoader, node: SequenceNode) -> Iterator[LineList]:
    """Build a LineList, recording the line of the sequence and of each item."""
    data = LineList(_line(node), (_line(item) for item in node.value))
    yield data
    data.extend(loader.construct_sequence(node))


# libyaml's parser (bundled in PyYAML's wheels) reads the knowledge base about three times
# faster than the pure-Python one (0.74 s of start-up became 0.26 s); both give nodes marks.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader whose mappings and sequences carry 1-based line numbers."""


LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


@dataclass(frozen=True)
class YamlDoc:
    """The parsed content of one YAML file; `file` is the path shown in Problems."""

    file: str
    data: Any


def parse_yaml(text: str, file: str, problems: list[Problem]) -> YamlDoc | None:
    """Parse YAML text; on a syntax error append a Problem with its line and return None."""
    try:
        return YamlDoc(file, yaml.load(text, Loader=LineLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "could not be parsed"
        where = f" (column {column})" if column else ""
        problems.append(Problem(file, line, "", f"invalid YAML: {what}{where}"))
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        # libyaml counts the position in UTF-8 bytes, the Python reader in characters: the
        # first occurrence of the character it refused is the same line for both.
        at = text.find(chr(code))
        line = text[: at if at >= 0 else exc.position].count("\n") + 1
        message = f"invalid YAML: control character U+{code:04X} is not allowed"
        problems.append(Problem(file, line, "", message))
    except yaml.YAMLError as exc:
        problems.append(Problem(file, 0, "", f"invalid YAML: {exc}"))
    return None


def read_yaml(path: Path, file: str, problems: list[Problem]) -> YamlDoc | None:
    """Read a UTF-8 YAML file; an unreadable, undecodable or invalid file becomes a Problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(file, 0, "", f"cannot read the file: {exc.strerror or exc}"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        problems.append(Problem(file, line, "", message))
        return None
    return parse_yaml(text, file, problems)


def describe(value: object) -> str:
    """A short, human name for the YAML type of a value."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false (quote it to make it text)"
    if isinstance(value, int | float):
        return "a number (quote it to make it text)"
    if isinstance(value, date):
        return "a date (quote it to make it text)"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: object, choices: Iterable[str]) -> str:
    """A " (did you mean 'x'?)" hint for a likely typo, or an empty string."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def fold(text: str) -> str:
    """Lowercase and collapse whitespace, for comparing differently formatted text."""
    return " ".join(text.lower().split())


class FieldChecker:
    """Checks the fields of one YAML mapping, appending a Problem for each fault found."""

    def __init__(
        self, file: str, mapping: LineDict, problems: list[Problem], prefix: str = ""
    ) -> None:
        self.file = file
        self.mapping = mapping
        self.problems = problems
        self.prefix = prefix

    def line(self, key: object = None) -> int:
        """The line of `key`, or of the mapping when the key is absent or not given."""
        if key is not None and key in self.mapping.key_lines:
            return self.mapping.key_lines[key]
        return self.mapping.line

    def report(self, field: str, message: str, line: int | None = None) -> None:
        """Append a Problem for `field` (at the key's line unless `line` is given)."""
        where = self.line(field.split("[", 1)[0]) if line is None else line
        self.problems.append(Problem(self.file, where, self.prefix + field, message))

    def has(self, key: str) -> bool:
        """Whether the key is present (even with an empty value)."""
        return key in self.mapping

    def check_keys(self, known: Sequence[str]) -> None:
        """Report keys not in `known` (suggesting the closest) and keys written twice."""
        for key in self.mapping:
            if key not in known:
                hint = suggest(key, known)
                self.report(str(key), f"unknown key '{key}'{hint}", self.line(key))
        for key, first, again in self.mapping.duplicates:
            self.report(str(key), f"key written twice (first at line {first})", again)

    def _get(self, key: str, required: bool) -> Any:
        """The raw value, reporting a missing required key; None when absent."""
        if key not in self.mapping:
            if required:
                self.report(key, "missing required field")
            return None
        return self.mapping[key]

    def text(self, key: str, *, required: bool = True) -> str | None:
        """A non-empty text value (stripped), or None after reporting what is wrong."""
        value = self._get(key, required)
        if key not in self.mapping:
            return None
        return self._check_text(key, value, self.line(key))

    def _check_text(self, field: str, value: object, line: int) -> str | None:
        """Check one value is non-empty text; report and return None otherwise."""
        if value is None or (isinstance(value, str) and not value.strip()):
            self.report(field, "must not be empty", line)
            return None
        if not isinstance(value, str):
            hint = " (text containing ': ' must be quoted)" if isinstance(value, dict) else ""
            self.report(field, f"expected text, got {describe(value)}{hint}", line)
            return None
        return value.strip()

    def text_list(
        self, key: str, *, required: bool = True, min_items: int = 0
    ) -> tuple[str, ...] | None:
        """A list of non-empty texts (with at least `min_items`), or None if absent/not a list."""
        value = self._get(key, required)
        if key not in self.mapping:
            return None
        if value is None:
            value = LineList(self.line(key))
        if not isinstance(value, list):
            self.report(key, f"expected a list, got {describe(value)}")
            return None
        if not value and min_items:
            self.report(key, f"must not be empty (needs at least {min_items} item(s))")
        elif len(value) < min_items:
            self.report(key, f"needs at least {min_items} item(s), got {len(value)}")
        lines = value if isinstance(value, LineList) else LineList(self.line(key))
        items = (
            self._check_text(f"{key}[{i}]", item, lines.line_of(i)) for i, item in enumerate(value)
        )
        return tuple(item for item in items if item is not None)

    def integer(
        self, key: str, *, required: bool = True, low: int | None = None, high: int | None = None
    ) -> int | None:
        """An integer within [low, high] when given, or None after reporting."""
        value = self._get(key, required)
        if key not in self.mapping:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(key, f"expected a whole number, got {describe(value)}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.report(key, f"{value} is out of range {low}..{high}")
            return None
        return value

    def boolean(self, key: str, *, required: bool = True) -> bool | None:
        """A true/false value, or None after reporting."""
        value = self._get(key, required)
        if key not in self.mapping:
            return None
        if not isinstance(value, bool):
            self.report(key, f"expected true or false, got {describe(value)}")
            return None
        return value

    def choice(self, key: str, choices: Sequence[str], *, required: bool = True) -> str | None:
        """A text value that is one of `choices`, or None after reporting."""
        value = self.text(key, required=required)
        if value is None or value in choices:
            return value
        hint = suggest(value, choices)
        self.report(key, f"unknown value '{value}'{hint}; expected one of: {', '.join(choices)}")
        return None

    def kebab(self, key: str, *, required: bool = True) -> str | None:
        """A kebab-case identifier (e.g. 'task-scam'), or None after reporting."""
        value = self.text(key, required=required)
        if value is None or KEBAB_RE.match(value):
            return value
        self.report(key, f"'{value}' is not kebab-case (lowercase letters, digits, single '-')")
        return None

    def sub(self, key: str, *, required: bool = False) -> FieldChecker | None:
        """A checker for a nested mapping (fields named 'key.field'), or None after reporting."""
        value = self._get(key, required)
        if key not in self.mapping:
            return None
        if not isinstance(value, LineDict):
            self.report(key, f"expected a mapping, got {describe(value)}")
            return None
        return FieldChecker(self.file, value, self.problems, f"{self.prefix}{key}.")

    def items(self, key: str, *, required: bool = True) -> list[FieldChecker]:
        """Checkers for a list of mappings (fields named 'key[i].field'); reports other items."""
        value = self._get(key, required)
        if key not in self.mapping or value is None:
            return []
        if not isinstance(value, LineList):
            self.report(key, f"expected a list, got {describe(value)}")
            return []
        return mapping_items(self.file, value, self.problems, f"{self.prefix}{key}")

    def indexed(self, key: str) -> list[tuple[int, str, int]]:
        """(index, text, line) of every text item of a list field; other items are skipped."""
        value = self.mapping.get(key)
        if not isinstance(value, LineList):
            return []
        return [
            (i, v.strip(), value.line_of(i)) for i, v in enumerate(value) if isinstance(v, str)
        ]


def mapping_items(
    file: str, items: LineList, problems: list[Problem], prefix: str = ""
) -> list[FieldChecker]:
    """Checkers for each mapping of a list (fields 'prefix[i].x'); other items are reported."""
    checkers: list[FieldChecker] = []
    for i, item in enumerate(items):
        field = f"{prefix}[{i}]" if prefix else ""
        if isinstance(item, LineDict):
            checkers.append(FieldChecker(file, item, problems, f"{field}." if field else ""))
        else:
            message = f"list item is {describe(item)}, expected a mapping of fields"
            problems.append(Problem(file, items.line_of(i), field, message))
    return checkers


def top_level_list(doc: YamlDoc, what: str, problems: list[Problem]) -> list[FieldChecker]:
    """Checkers for each item of a file that must be a YAML list of mappings."""
    if not isinstance(doc.data, LineList):
        got = "an empty file" if doc.data is None else describe(doc.data)
        problems.append(Problem(doc.file, 1, "", f"expected a list of {what}, got {got}"))
        return []
    return mapping_items(doc.file, doc.data, problems)
