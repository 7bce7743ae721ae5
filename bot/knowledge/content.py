"""Validate the whole knowledge folder in one run: entries, sources, regions and quizzes.

Quizzes name entries, so they are checked against the entries even when some entries are
invalid: a maintainer sees every problem of every file at once, not the quiz ones only after
fixing the entry ones.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import KnowledgeError, Problem
from bot.knowledge.loader import ENTRIES_DIR, entry_files, folder_languages, load_knowledge
from bot.knowledge.models import KnowledgeBase
from bot.knowledge.validate import validate_entries
from bot.knowledge.yaml_lines import read_yaml
from bot.quizzes.loader import QUIZZES_DIR, load_quizzes
from bot.quizzes.models import Quiz


def _entries_as_written(directory: Path) -> KnowledgeBase:
    """Every entry that parses, valid or not (only for checking the quizzes' references)."""
    ignored: list[Problem] = []
    entries = []
    for path in entry_files(directory):
        doc = read_yaml(path, f"{ENTRIES_DIR}/{path.name}", ignored)
        if doc is not None:
            entries += [draft.entry for draft in validate_entries(doc, ignored)]
    languages = folder_languages(directory, ignored)  # so the quizzes still need their Chinese
    return KnowledgeBase(entries=tuple(e for e in entries if e.id), languages=languages)


def load_content(directory: Path) -> tuple[KnowledgeBase, dict[str, Quiz]]:
    """The knowledge base and its quizzes; KnowledgeError lists the problems of both."""
    directory = Path(directory)
    problems: list[Problem] = []
    kb: KnowledgeBase | None = None
    try:
        kb = load_knowledge(directory)
    except KnowledgeError as exc:
        problems += exc.problems
    quizzes: dict[str, Quiz] = {}
    if directory.is_dir():
        try:
            quizzes = load_quizzes(directory / QUIZZES_DIR, kb or _entries_as_written(directory))
        except KnowledgeError as exc:
            problems += exc.problems
    if problems or kb is None:
        raise KnowledgeError(sorted(problems, key=lambda p: (p.file, p.line, p.field, p.message)))
    return kb, quizzes
