"""Plain dataclasses for the curated knowledge base (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.knowledge.regions import RegionBook

TOPICS: tuple[str, ...] = (
    "jobs",
    "crypto",
    "ai",
    "blockchain",
    "fraud",
    "help",
    "context",
    "about",
)
# Topics whose entries are not about one scam: red flags and sources may be empty there.
NON_SCAM_TOPICS: frozenset[str] = frozenset({"help", "context", "about"})


# What a source is: a dated `document` (shown "publisher, date"), a `checked` service or list
# re-checked on that date (shown "title (checked date)"), or an `internal` note, never shown.
SOURCE_KINDS: tuple[str, ...] = ("document", "checked", "internal")


@dataclass(frozen=True)
class SourceTranslation:
    """A shown source's title and publisher in Simplified Chinese (`zh:` in sources.yaml)."""

    title: str
    publisher: str


@dataclass(frozen=True)
class Source:
    """A document that entries cite."""

    id: str
    title: str
    publisher: str
    date: str
    url: str | None = None
    notes: str | None = None
    kind: str = "document"
    zh: SourceTranslation | None = None

    @property
    def shown(self) -> bool:
        """Whether users see this source under an answer."""
        return self.kind != "internal"

    @property
    def dated(self) -> bool:
        """Whether this is a dated document that can back a figure."""
        return self.kind == "document"


@dataclass(frozen=True)
class Translation:
    """An entry's Simplified Chinese block (`zh:`); Traditional is generated from it."""

    title: str
    answer: str
    red_flags: tuple[str, ...] = ()
    what_to_do: tuple[str, ...] = ()
    short: str = ""
    # Chinese questions that should find the entry (retrieval indexes them with the English).
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One curated answer with the example questions that should find it."""

    id: str
    topic: str
    title: str
    questions: tuple[str, ...]
    answer: str
    red_flags: tuple[str, ...]
    what_to_do: tuple[str, ...]
    sources: tuple[str, ...]
    tags: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    # A phone-sized answer: what it is and the one thing to do now.
    short: str = ""
    # Messages as scammers write them; the message checker matches pasted messages on these.
    examples: tuple[str, ...] = ()
    zh: Translation | None = None
    file: str = ""
    line: int = 0


FLAG_LANGS: tuple[str, ...] = ("en", "zh-Hans", "zh-Hant")
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class Flag:
    """A red flag the message checker looks for (knowledge/flags.yaml)."""

    id: str
    name: str
    why: str  # one plain sentence on why it matters
    severity: str  # high | medium | low
    entries: tuple[str, ...]  # the entries it points to, most relevant first
    patterns: tuple[tuple[str, tuple[str, ...]], ...]  # (language, regular expressions)
    examples: tuple[str, ...]  # phrasings a scammer might use (embedded for paraphrases)
    file: str = ""
    line: int = 0
    zh_name: str = ""  # the `zh:` block (Simplified Chinese; Traditional is generated)
    zh_why: str = ""


@dataclass(frozen=True)
class KnowledgeBase:
    """All entries, sources and red flags, validated, in file order (regions.yaml if present)."""

    entries: tuple[Entry, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    regions: RegionBook | None = None
    flags: tuple[Flag, ...] = ()
    # The languages every user-facing text is written in (languages.yaml; English when absent).
    languages: tuple[str, ...] = ("en",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        by_id: dict[str, Entry] = self._by_id  # type: ignore[attr-defined]
        return by_id.get(entry_id)

    def by_topic(self, topic: str) -> list[Entry]:
        """Entries of one topic, in file order."""
        return [e for e in self.entries if e.topic == topic]
