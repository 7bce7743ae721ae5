"""Validation of knowledge/flags.yaml, the message checker's red-flag catalogue."""

from __future__ import annotations

import re

from bot.errors import Problem
from bot.knowledge.models import FLAG_LANGS, SEVERITIES, Flag
from bot.knowledge.validate import Place, report_duplicate_ids
from bot.knowledge.yaml_lines import FieldChecker, YamlDoc, suggest, top_level_list

FLAGS_FILE = "flags.yaml"
FLAG_KEYS = ("id", "name", "why", "zh", "severity", "entries", "patterns", "examples")
ZH_KEYS = ("name", "why")
MIN_EXAMPLES = 2
MAX_WHY_CHARS = 160


def _patterns(checker: FieldChecker) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """Patterns per language: every language present, each a list of valid regexes."""
    sub = checker.sub("patterns", required=True)
    if sub is None:
        return None
    sub.check_keys(FLAG_LANGS)
    result: list[tuple[str, tuple[str, ...]]] = []
    ok = True
    for lang in FLAG_LANGS:
        items = sub.text_list(lang, min_items=1)
        if items is None:
            ok = False
            continue
        for i, text, line in sub.indexed(lang):
            try:
                re.compile(text, re.IGNORECASE)
            except re.error as exc:
                sub.report(f"{lang}[{i}]", f"is not a valid regular expression ({exc})", line)
                ok = False
        result.append((lang, items))
    return tuple(result) if ok else None


def _one_line(checker: FieldChecker, key: str) -> str | None:
    """A text field that must be one line of at most MAX_WHY_CHARS characters."""
    text = checker.text(key)
    if text is not None and ("\n" in text or len(text) > MAX_WHY_CHARS):
        checker.report(key, f"must be one line of at most {MAX_WHY_CHARS} characters")
        return None
    return text


def _zh(checker: FieldChecker) -> tuple[str, str] | None:
    """The required Simplified Chinese block: `zh: {name: …, why: …}`."""
    sub = checker.sub("zh", required=True)
    if sub is None:
        return None
    sub.check_keys(ZH_KEYS)
    name, why = sub.text("name"), _one_line(sub, "why")
    return (name, why) if name is not None and why is not None else None


def _flag(checker: FieldChecker) -> Flag | None:
    """One Flag, or None when any field is invalid (each fault is reported)."""
    checker.check_keys(FLAG_KEYS)
    flag_id = checker.kebab("id")
    name, why = checker.text("name"), _one_line(checker, "why")
    zh = _zh(checker)
    severity = checker.choice("severity", SEVERITIES)
    entries = checker.text_list("entries", min_items=1)
    patterns = _patterns(checker)
    examples = checker.text_list("examples", min_items=MIN_EXAMPLES)
    fields = (flag_id, name, why, zh, severity, entries, patterns, examples)
    if any(value is None for value in fields):
        return None
    assert flag_id and name and why and zh and severity and entries and patterns and examples
    return Flag(flag_id, name, why, severity, entries, patterns, examples,
                checker.file, checker.line(), zh_name=zh[0], zh_why=zh[1])  # fmt: skip


def validate_flags(
    doc: YamlDoc, entry_ids: set[str] | None, problems: list[Problem]
) -> tuple[Flag, ...]:
    """Validate a parsed flags.yaml; `entries` must name known entries (None: not checked)."""
    flags: list[Flag] = []
    ids: list[tuple[str, Place]] = []
    for checker in top_level_list(doc, "red flags", problems):
        raw = checker.mapping.get("id")
        if isinstance(raw, str) and raw.strip():
            ids.append((raw.strip(), Place(doc.file, checker.line("id"))))
        flag = _flag(checker)
        if flag is None:
            continue
        if entry_ids is not None:
            for i, entry_id, line in checker.indexed("entries"):
                if entry_id not in entry_ids:
                    hint = suggest(entry_id, entry_ids)
                    checker.report(f"entries[{i}]", f"unknown entry '{entry_id}'{hint}", line)
        flags.append(flag)
    report_duplicate_ids(ids, "flag", problems)
    seen: set[str] = set()
    return tuple(f for f in flags if not (f.id in seen or seen.add(f.id)))  # type: ignore[func-returns-value]
