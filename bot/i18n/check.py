"""Extract the msgids from the code (Babel) and check a catalogue against them.

`python -m bot i18n check` fails, naming the .po file and line (or the source line), when:
- a text marked in the code (`_()`, `N_()`, `ngettext()`) has no entry in the catalogue;
- an entry has no translation, or is marked fuzzy (a guess waiting for review);
- a translation's numbers, /commands, {placeholders}, links or e-mails differ from the
  English (bot.knowledge.parity's rule, plus every number and command);
- an entry is no longer used in the code.
`python -m bot i18n update` adds the new msgids to the catalogue (empty, to translate) and
drops the unused ones, keeping every existing translation.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from bot.errors import Problem
from bot.i18n.catalog import LOCALE_DIR, LOCALES, po_path, read_catalog
from bot.knowledge.parity import fixed_tokens

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**/locale/**", "ignore"), ("**.py", "python")]
_FIXED = re.compile(r"/[a-z]+\b|\{[a-z_]*\}|\d+")

MsgId = str | tuple[str, str]


@dataclass(frozen=True)
class Extracted:
    """A msgid found in the code and where (file relative to the repository, line)."""

    msgid: MsgId
    file: str
    line: int


def extract(package_dir: Path = PACKAGE_DIR) -> list[Extracted]:
    """Every msgid marked in the package's Python files, first place found first."""
    found: dict[MsgId, Extracted] = {}
    root = package_dir.parent
    for filename, lineno, message, _comments, _context in extract_from_dir(
        package_dir, METHODS, KEYWORDS
    ):
        msgid: MsgId = (message[0], message[1]) if isinstance(message, tuple) else message
        if not msgid or msgid in found:
            continue
        path = (package_dir / filename).relative_to(root).as_posix()
        found[msgid] = Extracted(msgid, path, lineno)
    return list(found.values())


def fixed_parts(text: str) -> Counter[str]:
    """What a translation must keep: numbers, /commands, {placeholders}, links, e-mails."""
    parts = Counter(_FIXED.findall(text))
    parts.update(t for t in fixed_tokens(text) if not t.isdigit())
    return parts


def describe_difference(english: str, translated: str) -> str | None:
    """Which fixed parts differ between an English text and its translation, or None."""
    ours, theirs = fixed_parts(english), fixed_parts(translated)
    missing, extra = ours - theirs, theirs - ours
    parts = []
    if missing:
        parts.append(f"lacks {', '.join(sorted(missing))}")
    if extra:
        parts.append(f"has {', '.join(sorted(extra))} not in the English")
    if not parts:
        return None
    return "; ".join(parts) + " (numbers, commands, placeholders and links stay as in English)"


def _label(msgid: MsgId) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    short = text if len(text) <= 50 else text[:47] + "..."
    return repr(short)


def check_catalog(
    catalog: Catalog, po_file: str, extracted: Iterable[Extracted], lang: str
) -> list[Problem]:
    """Every problem of one catalogue against the extracted msgids."""
    problems: list[Problem] = []
    wanted = {e.msgid: e for e in extracted}
    for found in wanted.values():
        if catalog.get(found.msgid) is None:
            said = (
                f"msgid {_label(found.msgid)} is not in {po_file}: run `python -m bot i18n "
                "update`, then translate it"
            )
            problems.append(Problem(found.file, found.line, "", said))
    for entry in catalog:
        message: Any = entry
        if not message.id:
            continue
        msgid: MsgId = (
            (message.id[0], message.id[1]) if isinstance(message.id, (tuple, list)) else message.id
        )
        line = message.lineno or 0
        if msgid not in wanted:
            problems.append(
                Problem(po_file, line, "msgid", f"{_label(msgid)} is no longer used in the code")
            )
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        if message.fuzzy or not all(strings):
            why = "is marked fuzzy" if message.fuzzy else "is empty"
            problems.append(
                Problem(
                    po_file, line, "msgstr", f"the {lang} translation of {_label(msgid)} {why}"
                )
            )
            continue
        english = list(msgid) if isinstance(msgid, tuple) else [msgid]
        for translated in strings:
            # Each plural form keeps the fixed parts of the English plural.
            difference = describe_difference(english[-1], translated)
            if difference:
                problems.append(Problem(po_file, line, "msgstr", difference))
    return problems


def check_all(locale_dir: Path = LOCALE_DIR, package_dir: Path = PACKAGE_DIR) -> list[Problem]:
    """The problems of every catalogue in the locale folder."""
    extracted = extract(package_dir)
    problems: list[Problem] = []
    root = package_dir.parent
    for lang in LOCALES:
        path = po_path(lang, locale_dir)
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        if not path.is_file():
            problems.append(Problem(shown, 0, "", "the catalogue is missing"))
            continue
        problems += check_catalog(read_catalog(path), shown, extracted, lang)
    return problems


def template(extracted: Iterable[Extracted]) -> Catalog:
    """A catalogue of the msgids with their source locations (a .pot in memory)."""
    pot = Catalog(project="ScamWise", fuzzy=False)
    for found in extracted:
        pot.add(found.msgid, locations=[(found.file, found.line)])
    return pot


def update_all(locale_dir: Path = LOCALE_DIR, package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Bring every catalogue up to date with the code; one line per catalogue written."""
    pot = template(extract(package_dir))
    written = []
    for lang, locale in LOCALES.items():
        path = po_path(lang, locale_dir)
        catalog = read_catalog(path) if path.is_file() else Catalog(locale=locale, fuzzy=False)
        before = {m.id for m in catalog if m.id}
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        added = sum(1 for m in catalog if m.id and m.id not in before)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=0, ignore_obsolete=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buffer.getvalue())
        written.append(f"{path}: {len(catalog)} messages, {added} new to translate")
    return written
