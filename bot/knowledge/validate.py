"""Validation rules for sources.yaml and entry files; parsed YAML in, dataclasses out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.errors import Problem
from bot.knowledge.models import (
    NON_SCAM_TOPICS,
    SOURCE_KINDS,
    TOPICS,
    Entry,
    Source,
    SourceTranslation,
    Translation,
)
from bot.knowledge.parity import report_differences, report_list_differences, translation_block
from bot.knowledge.placeholders import PLACEHOLDERS, unknown_placeholders
from bot.knowledge.yaml_lines import FieldChecker, YamlDoc, fold, suggest, top_level_list

SOURCE_KEYS = ("id", "title", "publisher", "date", "url", "notes", "kind", "zh")
SOURCE_ZH_KEYS = ("title", "publisher")
ENTRY_KEYS = (
    "id", "topic", "title", "questions", "answer", "red_flags", "what_to_do", "sources",
    "tags", "related", "short", "examples", "zh",
)  # fmt: skip
ZH_KEYS = ("title", "short", "questions", "answer", "red_flags", "what_to_do")
# Entries must carry their zh block (on since their translations, issue 15, were merged). Set
# it to False only while a batch of new entries waits for its translation.
ENTRY_TRANSLATIONS_REQUIRED = True
MAX_SHORT_ZH_CHARS = 110  # Chinese has no spaces: a phone-sized short answer, in characters
MIN_QUESTIONS = 4
MIN_ANSWER_WORDS = 40
MAX_ANSWER_WORDS = 180
MAX_SHORT_WORDS = 50
MAX_SHOWN_SOURCES = 3  # the Sources line under an answer stays short
# A figure: a percentage, an amount of money, or a count of cases, reports, victims or people.
_NUMBER = r"\d[\d,.]*\d|\d"
FIGURE_RE = re.compile(
    rf"(?:{_NUMBER})\s?%"
    rf"|(?:HK|S|A|US)?\$\s?(?:{_NUMBER})"
    rf"|(?:{_NUMBER})(?:\s(?:million|billion|bn))?\s(?:yuan|dollars|Hong Kong dollars|euros)"
    rf"|(?:{_NUMBER})(?:\s[A-Za-z-]+){{0,3}}?\s(?:cases|reports|victims|arrests|defendants"
    r"|suspects|people|offenders)\b"
)
MIN_EXAMPLES = 4  # example scam messages per scam entry, for the message checker
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
HTML_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
_DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}


@dataclass(frozen=True)
class Place:
    """Where an id was written."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class SourcesResult:
    """Valid sources by id, plus every id written (so a bad source does not cascade)."""

    sources: dict[str, Source] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class EntryDraft:
    """An entry built from one mapping (with fallbacks where fields were invalid)."""

    entry: Entry
    raw_id: str | None
    checker: FieldChecker


def _raw_id(checker: FieldChecker) -> str | None:
    """The id as written (stripped) when it is text, whatever its format."""
    value = checker.mapping.get("id")
    return value.strip() if isinstance(value, str) and value.strip() else None


def report_duplicate_ids(ids: list[tuple[str, Place]], what: str, problems: list[Problem]) -> None:
    """Report every repeat of an id, naming the place where it was first defined."""
    first: dict[str, Place] = {}
    for item_id, place in ids:
        if item_id in first:
            message = f"duplicate {what} id '{item_id}' (first defined at {first[item_id]})"
            problems.append(Problem(place.file, place.line, "id", message))
        else:
            first[item_id] = place


def _real_date(text: str) -> bool:
    """Whether YYYY, YYYY-MM or YYYY-MM-DD text names a real date."""
    try:
        datetime.strptime(text, _DATE_FORMATS[len(text)])
    except (KeyError, ValueError):
        return False
    return True


def _date(checker: FieldChecker) -> str | None:
    """The source date as ISO text; an unquoted YAML date is accepted and converted."""
    value = checker.mapping.get("date")
    if isinstance(value, datetime):
        checker.report("date", "expected a date without a time")
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = checker.text("date")
    if text is not None and not (DATE_RE.match(text) and _real_date(text)):
        checker.report("date", f"'{text}' is not a date written YYYY, YYYY-MM or YYYY-MM-DD")
        return None
    return text


def _source_translation(
    checker: FieldChecker, shown: bool, required: bool
) -> SourceTranslation | None:
    """A shown source's title and publisher in Chinese, with the English numbers and links."""
    zh = translation_block(checker, SOURCE_ZH_KEYS, required=required and shown)
    if zh is None:
        return None
    title, publisher = zh.text("title"), zh.text("publisher")
    for key in SOURCE_ZH_KEYS:
        report_differences(zh, key, checker.mapping.get(key), zh.mapping.get(key))
    return SourceTranslation(title, publisher) if title and publisher else None


def _source(checker: FieldChecker, require_zh: bool = False) -> Source | None:
    """One Source, or None when any of its fields is invalid."""
    checker.check_keys(SOURCE_KEYS)
    source_id = checker.kebab("id")
    title, publisher = checker.text("title"), checker.text("publisher")
    when = _date(checker)
    url, notes = checker.text("url", required=False), checker.text("notes", required=False)
    kind = checker.choice("kind", SOURCE_KINDS, required=False)
    zh = _source_translation(checker, kind != "internal", require_zh)
    if checker.has("kind") and kind is None:
        return None
    if checker.has("zh") and zh is None:
        return None
    if url is not None and not url.startswith(("http://", "https://")):
        checker.report("url", f"'{url}' must start with http:// or https://")
        return None
    if source_id is None or title is None or publisher is None or when is None:
        return None
    if checker.has("notes") and notes is None:
        return None
    return Source(source_id, title, publisher, when, url, notes, kind or "document", zh)


def validate_sources(
    doc: YamlDoc, problems: list[Problem], *, require_zh: bool = False
) -> SourcesResult:
    """Validate a parsed sources.yaml; duplicate ids are reported naming both places.
    With `require_zh`, every source shown to readers needs its `zh` block."""
    result = SourcesResult()
    ids: list[tuple[str, Place]] = []
    for checker in top_level_list(doc, "sources", problems):
        raw_id = _raw_id(checker)
        if raw_id is not None:
            result.ids.add(raw_id)
            ids.append((raw_id, Place(doc.file, checker.line("id"))))
        source = _source(checker, require_zh)
        if source is not None and source.id not in result.sources:
            result.sources[source.id] = source
    report_duplicate_ids(ids, "source", problems)
    return result


def _plain_text(checker: FieldChecker, key: str) -> None:
    """Report HTML tags in a text field or in the items of a text-list field."""
    value = checker.mapping.get(key)
    texts = [(key, value, checker.line(key))] if isinstance(value, str) else []
    texts += [(f"{key}[{i}]", text, line) for i, text, line in checker.indexed(key)]
    for name, text, line in texts:
        tag = HTML_TAG_RE.search(text)
        if tag:
            checker.report(name, f"contains the HTML tag {tag.group(0)}; write plain text", line)
        for unknown in unknown_placeholders(text):
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            message = f"unknown placeholder '{{{unknown}}}'{suggest(unknown, PLACEHOLDERS)}"
            checker.report(name, f"{message}; known placeholders: {known}", line)


def _answer(checker: FieldChecker) -> str | None:
    """The answer: plain text of MIN..MAX_ANSWER_WORDS words."""
    answer = checker.text("answer")
    if answer is None:
        return None
    words = len(answer.split())
    if not MIN_ANSWER_WORDS <= words <= MAX_ANSWER_WORDS:
        limits = f"{MIN_ANSWER_WORDS}-{MAX_ANSWER_WORDS}"
        checker.report("answer", f"has {words} words; it must have {limits} words")
    _plain_text(checker, "answer")
    return answer


def _short(checker: FieldChecker) -> str | None:
    """The short answer shown first: plain text of at most MAX_SHORT_WORDS words."""
    short = checker.text("short")
    if short is None:
        return None
    words = len(short.split())
    if words > MAX_SHORT_WORDS:
        checker.report("short", f"has {words} words; it must have at most {MAX_SHORT_WORDS}")
    _plain_text(checker, "short")
    return short


def _examples(checker: FieldChecker, scam: bool) -> tuple[str, ...]:
    """Example scam messages, each listed once: at least MIN_EXAMPLES in a scam entry."""
    if scam and not checker.has("examples"):
        message = f"missing required field; a scam entry needs at least {MIN_EXAMPLES} examples"
        checker.report("examples", message)
        return ()
    examples = (
        checker.text_list("examples", required=False, min_items=MIN_EXAMPLES if scam else 0) or ()
    )
    _no_repeats(checker, "examples")
    _plain_text(checker, "examples")
    return examples


def _questions(checker: FieldChecker) -> tuple[str, ...]:
    """At least MIN_QUESTIONS example questions, each worded differently."""
    questions = checker.text_list("questions", min_items=MIN_QUESTIONS) or ()
    seen: dict[str, int] = {}
    for i, text, line in checker.indexed("questions"):
        key = fold(text)
        if key and key in seen:
            message = f"same question as questions[{seen[key]}]; word each question differently"
            checker.report(f"questions[{i}]", message, line)
        elif key:
            seen[key] = i
    return questions


def _no_repeats(checker: FieldChecker, key: str) -> None:
    """Report items of a list field that are listed twice."""
    seen: set[str] = set()
    for i, text, line in checker.indexed(key):
        if text in seen:
            checker.report(f"{key}[{i}]", f"'{text}' is listed twice", line)
        seen.add(text)


def _translation(checker: FieldChecker, required: bool) -> Translation | None:
    """The `zh` block: the entry in Simplified Chinese, list for list with the English."""
    zh = translation_block(checker, ZH_KEYS, required=required)
    if zh is None:
        return None
    title, answer, short = zh.text("title"), zh.text("answer"), zh.text("short")
    questions = zh.text_list("questions", min_items=MIN_QUESTIONS) or ()
    red_flags = zh.text_list("red_flags", required=False) or ()
    what_to_do = zh.text_list("what_to_do", required=False) or ()
    for key in ZH_KEYS:
        _plain_text(zh, key)
    if short is not None and len(short) > MAX_SHORT_ZH_CHARS:
        zh.report("short", f"has {len(short)} characters; at most {MAX_SHORT_ZH_CHARS}")
    for key in ("title", "short", "answer"):
        report_differences(zh, key, checker.mapping.get(key), zh.mapping.get(key))
    for key in ("red_flags", "what_to_do"):
        report_list_differences(checker, key, zh, key)
    if title is None or answer is None:
        return None
    return Translation(title, answer, red_flags, what_to_do, short or "", questions)


def _entry(checker: FieldChecker, require_zh: bool) -> Entry:
    """Build one Entry, reporting every fault; invalid fields fall back to empty values."""
    checker.check_keys(ENTRY_KEYS)
    entry_id = checker.kebab("id")
    topic = checker.choice("topic", TOPICS)
    relaxed = topic is None or topic in NON_SCAM_TOPICS
    no_sources_ok = topic is None or topic == "about"
    title = checker.text("title")
    red_flags = checker.text_list("red_flags", required=not relaxed, min_items=0 if relaxed else 1)
    what_to_do = checker.text_list("what_to_do", min_items=1)
    # An entry that describes a pattern from general advice may cite nothing (`sources: []`);
    # _check_citations makes any figure in the answer need a dated document.
    sources = checker.text_list("sources", required=not no_sources_ok, min_items=0)
    tags = checker.text_list("tags", required=False)
    related = checker.text_list("related", required=False)
    for key in ("title", "red_flags", "what_to_do"):
        _plain_text(checker, key)
    for key in ("sources", "tags", "related"):
        _no_repeats(checker, key)
    return Entry(
        id=entry_id or "",
        topic=topic or "",
        title=title or "",
        questions=_questions(checker),
        answer=_answer(checker) or "",
        red_flags=red_flags or (),
        what_to_do=what_to_do or (),
        sources=sources or (),
        tags=tags or (),
        related=related or (),
        short=_short(checker) or "",
        examples=_examples(checker, scam=not relaxed),
        zh=_translation(checker, require_zh and ENTRY_TRANSLATIONS_REQUIRED),
        file=checker.file,
        line=checker.mapping.line,
    )


def validate_entries(
    doc: YamlDoc, problems: list[Problem], *, require_zh: bool = False
) -> list[EntryDraft]:
    """Validate one parsed entry file (a list of entry mappings), in file order. With
    `require_zh` (and ENTRY_TRANSLATIONS_REQUIRED), every entry needs its `zh` block."""
    return [
        EntryDraft(_entry(checker, require_zh), _raw_id(checker), checker)
        for checker in top_level_list(doc, "entries", problems)
    ]


def _check_sources(draft: EntryDraft, source_ids: set[str]) -> None:
    """Report source ids of an entry that sources.yaml does not define."""
    for i, source_id, line in draft.checker.indexed("sources"):
        if source_id not in source_ids:
            hint = suggest(source_id, source_ids)
            message = f"unknown source id '{source_id}'{hint}; sources.yaml must define it"
            draft.checker.report(f"sources[{i}]", message, line)


def _check_related(draft: EntryDraft, entry_ids: set[str]) -> None:
    """Report related ids that name no entry, or the entry itself."""
    for i, related_id, line in draft.checker.indexed("related"):
        if related_id == draft.raw_id:
            draft.checker.report(f"related[{i}]", "an entry cannot be related to itself", line)
        elif related_id not in entry_ids:
            hint = suggest(related_id, entry_ids)
            draft.checker.report(f"related[{i}]", f"unknown entry id '{related_id}'{hint}", line)


def _check_citations(draft: EntryDraft, sources: dict[str, Source]) -> None:
    """At most MAX_SHOWN_SOURCES shown sources; a figure in the answer needs a dated document."""
    cited = [sources[sid] for sid in draft.entry.sources if sid in sources]
    shown = [s.id for s in cited if s.shown]
    if len(shown) > MAX_SHOWN_SOURCES:
        message = (
            f"cites {len(shown)} sources shown to readers ({', '.join(shown)}); "
            f"cite at most {MAX_SHOWN_SOURCES}, the ones that back the text"
        )
        draft.checker.report("sources", message)
    figure = FIGURE_RE.search(draft.entry.answer)
    if figure and not any(s.dated for s in cited):
        message = (
            f"states the figure '{figure.group(0)}' but the entry cites no dated document; "
            "cite the source it comes from (a 'document' in sources.yaml)"
        )
        draft.checker.report("answer", message)


def check_references(
    drafts: list[EntryDraft],
    source_ids: set[str] | None,
    problems: list[Problem],
    sources: dict[str, Source] | None = None,
) -> None:
    """Cross-file checks: unique entry ids, known source ids (when known), known related ids,
    and (when the sources are known) what each entry's citations must back."""
    ids = [(d.raw_id, Place(d.checker.file, d.checker.line("id"))) for d in drafts if d.raw_id]
    report_duplicate_ids(ids, "entry", problems)
    entry_ids = {item_id for item_id, _ in ids}
    for draft in drafts:
        if source_ids is not None:
            _check_sources(draft, source_ids)
        if sources is not None:
            _check_citations(draft, sources)
        _check_related(draft, entry_ids)
