"""knowledge/links.yaml: risky TLDs, link shorteners and the brands to check lookalikes against.

Validated like the entries: every fault is a Problem naming file, line and field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.errors import KnowledgeError, Problem
from bot.knowledge.loader import display_path
from bot.knowledge.yaml_lines import FieldChecker, LineDict, read_yaml

LINKS_FILE = "links.yaml"
LINK_KEYS = ("risky_tlds", "shorteners", "brands")
BRAND_KEYS = ("name", "domains")
_TLD_RE = re.compile(r"^[a-z0-9-]{2,63}$")
_DOMAIN_RE = re.compile(r"^([a-z0-9-]{1,63}\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class Brand:
    """A service scammers imitate, and its real domains."""

    name: str
    domains: tuple[str, ...]

    @property
    def key(self) -> str:
        """The brand name as it would appear inside a domain ("Royal Mail" -> "royalmail")."""
        return re.sub(r"[^a-z0-9]", "", self.name.lower())


@dataclass(frozen=True)
class LinkData:
    """What the link rules compare against."""

    risky_tlds: frozenset[str]
    shorteners: frozenset[str]
    brands: tuple[Brand, ...]

    def official_brand(self, domain: str) -> Brand | None:
        """The brand whose real domain this is, if any."""
        return next((b for b in self.brands if domain in b.domains), None)


def _names(checker: FieldChecker, key: str, pattern: re.Pattern[str], what: str) -> list[str]:
    items = checker.text_list(key, min_items=1) or ()
    good = []
    for i, item, line in checker.indexed(key):
        if pattern.match(item.lower().lstrip(".")):
            good.append(item.lower().lstrip("."))
        else:
            checker.report(f"{key}[{i}]", f"'{item}' is not {what}", line)
    return good if items else []


def validate_links(data: object, file: str, problems: list[Problem]) -> LinkData:
    """Validate the parsed links.yaml mapping."""
    if not isinstance(data, LineDict):
        problems.append(Problem(file, 1, "", "expected a mapping with " + ", ".join(LINK_KEYS)))
        return LinkData(frozenset(), frozenset(), ())
    checker = FieldChecker(file, data, problems)
    checker.check_keys(LINK_KEYS)
    tlds = _names(checker, "risky_tlds", _TLD_RE, "a top-level domain such as 'xyz'")
    shorteners = _names(checker, "shorteners", _DOMAIN_RE, "a domain such as 'bit.ly'")
    brands: list[Brand] = []
    for item in checker.items("brands"):
        item.check_keys(BRAND_KEYS)
        name = item.text("name")
        domains = _names(item, "domains", _DOMAIN_RE, "a domain such as 'paypal.com'")
        if name is not None and domains:
            brands.append(Brand(name, tuple(domains)))
    return LinkData(frozenset(tlds), frozenset(shorteners), tuple(brands))


def load_link_data(knowledge_dir: Path) -> LinkData:
    """Read and validate `<knowledge>/links.yaml`; raise KnowledgeError listing every fault."""
    path = Path(knowledge_dir) / LINKS_FILE
    problems: list[Problem] = []
    doc = read_yaml(path, display_path(path, Path(knowledge_dir).resolve().parent), problems)
    data = validate_links(doc.data, doc.file, problems) if doc is not None else None
    if problems or data is None:
        raise KnowledgeError(problems)
    return data
