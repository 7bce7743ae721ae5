"""Load the curated knowledge folder into a validated KnowledgeBase, or report every problem."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from bot.errors import KnowledgeError, Problem
from bot.knowledge.flags import FLAGS_FILE, validate_flags
from bot.knowledge.languages import LANGUAGES_FILE, load_languages, needs_chinese
from bot.knowledge.models import Flag, KnowledgeBase
from bot.knowledge.regions import REGIONS_FILE, check_hotline_lines, load_regions
from bot.knowledge.validate import (
    EntryDraft,
    SourcesResult,
    check_references,
    validate_entries,
    validate_sources,
)
from bot.knowledge.yaml_lines import read_yaml

SOURCES_FILE = "sources.yaml"
ENTRIES_DIR = "entries"
_EXCLUDED_FROM_HASH = frozenset({"file", "line"})


def display_path(path: Path, root: Path) -> str:
    """The path shown in Problems: relative to the knowledge folder's parent when possible."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def entry_files(directory: Path) -> list[Path]:
    """The entry files of a knowledge folder, sorted by name."""
    folder = directory / ENTRIES_DIR
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def _load_sources(
    directory: Path, root: Path, problems: list[Problem], require_zh: bool
) -> SourcesResult | None:
    """Read and validate sources.yaml; returns the result, or None if it could not be parsed."""
    path = directory / SOURCES_FILE
    doc = read_yaml(path, display_path(path, root), problems)
    return None if doc is None else validate_sources(doc, problems, require_zh=require_zh)


def folder_languages(directory: Path, problems: list[Problem]) -> tuple[str, ...]:
    """The languages a knowledge folder declares in languages.yaml (English when absent)."""
    directory = Path(directory)
    file = display_path(directory / LANGUAGES_FILE, directory.resolve().parent)
    return load_languages(directory, file, problems)


def _load_entries(
    directory: Path, root: Path, problems: list[Problem], require_zh: bool
) -> list[EntryDraft]:
    """Read and validate every entry file, keeping file order."""
    files = entry_files(directory)
    if not files:
        where = display_path(directory / ENTRIES_DIR, root)
        problems.append(Problem(where, 0, "", "no entry files (*.yaml) found"))
    drafts: list[EntryDraft] = []
    for path in files:
        doc = read_yaml(path, display_path(path, root), problems)
        if doc is not None:
            drafts.extend(validate_entries(doc, problems, require_zh=require_zh))
    return drafts


def _sort_key(problem: Problem) -> tuple[str, int, str, str]:
    """Order problems by file, then line, then field."""
    return (problem.file, problem.line, problem.field, problem.message)


def load_knowledge(directory: Path) -> KnowledgeBase:
    """Load `<dir>/sources.yaml`, `<dir>/entries/*.yaml`, regions.yaml and flags.yaml in the
    languages of languages.yaml; raise KnowledgeError listing every problem."""
    directory = Path(directory)
    root = directory.resolve().parent
    if not directory.is_dir():
        raise KnowledgeError([Problem(directory.as_posix(), 0, "", "knowledge folder not found")])
    problems: list[Problem] = []
    languages = folder_languages(directory, problems)
    require_zh = needs_chinese(languages)
    sources = _load_sources(directory, root, problems, require_zh)
    drafts = _load_entries(directory, root, problems, require_zh)
    if sources is None:
        check_references(drafts, None, problems)
    else:
        check_references(drafts, sources.ids, problems, sources.sources)
    regions_file = display_path(directory / REGIONS_FILE, root)
    regions = load_regions(directory, regions_file, problems, require_zh=require_zh)
    if regions is not None:
        check_hotline_lines(regions, [(d.entry, d.checker) for d in drafts], problems)
    flags = _load_flags(directory, root, {d.entry.id for d in drafts}, problems)
    if problems:
        raise KnowledgeError(sorted(problems, key=_sort_key))
    valid_sources = sources.sources if sources is not None else {}
    entries = tuple(d.entry for d in drafts)
    return KnowledgeBase(
        entries=entries, sources=valid_sources, regions=regions, flags=flags, languages=languages
    )


def _load_flags(
    directory: Path, root: Path, entry_ids: set[str], problems: list[Problem]
) -> tuple[Flag, ...]:
    """The red-flag catalogue (flags.yaml), validated; a folder without one has no flags."""
    path = directory / FLAGS_FILE
    if not path.exists():
        return ()
    doc = read_yaml(path, display_path(path, root), problems)
    return () if doc is None else validate_flags(doc, entry_ids, problems)


def _without_location(item: Any) -> dict[str, Any]:
    """A dataclass as a dict, minus where it was written."""
    data = dataclasses.asdict(item)
    return {k: v for k, v in data.items() if k not in _EXCLUDED_FROM_HASH}


def content_hash(kb: KnowledgeBase) -> str:
    """SHA-256 hex of the entries (in order), sources (by id) and flags, ignoring file and line."""
    canonical: dict[str, Any] = {
        "entries": [_without_location(e) for e in kb.entries],
        "sources": [_without_location(kb.sources[k]) for k in sorted(kb.sources)],
    }
    if kb.flags:  # the checker's flag vectors are part of the index too
        canonical["flags"] = [_without_location(f) for f in kb.flags]
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
