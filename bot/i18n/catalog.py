"""The fixed texts of the conversation in each language: gettext catalogues read with Babel.

The msgids are the English texts themselves, so English needs no catalogue. Simplified Chinese
is `bot/locale/zh_Hans/LC_MESSAGES/messages.po`, read once at start-up (no compiled .mo: the .po
is the one file a translator edits, and reading it takes a few milliseconds). Traditional
Chinese is generated from the Simplified reply (bot.i18n.hant), so it has no catalogue either.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.errors import ScamWiseError
from bot.knowledge.localize import content_language

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
# Content language -> the catalogue's locale folder (English is the msgids).
LOCALES: dict[str, str] = {"zh-Hans": "zh_Hans"}


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """Where the catalogue of `lang` is kept."""
    return locale_dir / LOCALES[content_language(lang)] / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path) -> Catalog:
    """The .po file as a Babel catalogue; a file that cannot be read is named in the error."""
    try:
        with path.open("rb") as handle:
            return read_po(handle, abort_invalid=True)
    except (OSError, ValueError, SyntaxError) as exc:  # babel raises PoFileError (ValueError)
        raise ScamWiseError(f"cannot read the message catalogue {path}: {exc}") from exc


@dataclass(frozen=True)
class Catalogue:
    """One language's translations: msgid -> text, and (singular, plural) -> plural forms."""

    messages: dict[str, str]
    plurals: dict[tuple[str, str], tuple[str, ...]]

    def gettext(self, msgid: str) -> str:
        """The translation, or the English msgid when it has none."""
        return self.messages.get(msgid) or msgid

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The plural form for `count` (a language with one form always gets the first)."""
        forms = self.plurals.get((singular, plural))
        if not forms:
            return singular if count == 1 else plural
        return forms[0] if len(forms) == 1 else forms[0 if count == 1 else 1]


def catalogue_from(catalog: Catalog) -> Catalogue:
    """The translated, non-fuzzy messages of a Babel catalogue."""
    messages: dict[str, str] = {}
    plurals: dict[tuple[str, str], tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (tuple, list)):
            forms = tuple(message.string) if isinstance(message.string, (tuple, list)) else ()
            if all(forms):
                plurals[(message.id[0], message.id[1])] = forms[: catalog.num_plurals]
        elif isinstance(message.string, str) and message.string:
            messages[message.id] = message.string
    return Catalogue(messages, plurals)


@functools.cache
def catalogue(lang: str) -> Catalogue | None:
    """The catalogue of a language (None for English, whose texts are the msgids)."""
    if content_language(lang) not in LOCALES:
        return None
    return catalogue_from(read_catalog(po_path(lang)))


def load_catalogues() -> None:
    """Read every catalogue now (at start-up), so that a broken file stops the start."""
    for lang in LOCALES:
        catalogue(lang)
