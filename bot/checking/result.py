"""What a message check returns: plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """The three levels of a check. NONE never means "safe"."""

    SCAM = "scam"  # looks like a scam
    WARNING = "warning"  # some warning signs
    NONE = "none"  # no warning signs found (not the same as safe)


@dataclass(frozen=True)
class Span:
    """Where in the checked text something was found: text[start:end] == text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class FlagHit:
    """A red flag found in the message, with every span that triggered it."""

    id: str
    name: str
    why: str
    severity: str
    spans: tuple[Span, ...]
    by: str  # "pattern", "embedding", "link", "phone" or "wallet": what found it
    score: float = 1.0  # 1.0 for rules; the cosine similarity when found by the embedder


@dataclass(frozen=True)
class TypeMatch:
    """A scam type (knowledge entry) the message resembles."""

    entry_id: str
    title: str
    score: float
    what_to_do: tuple[str, ...]


@dataclass(frozen=True)
class LinkInfo:
    """A link in the message and what is known about it without opening it."""

    span: Span
    host: str  # lowercased, punycode decoded when it was punycode
    domain: str  # registered domain (domain + public suffix), "" for IP hosts
    notes: tuple[str, ...]  # plain sentences; empty when nothing is wrong with its form
    risky: bool


@dataclass(frozen=True)
class PhoneInfo:
    """A phone number in the message."""

    span: Span
    e164: str  # "" when the number could not be parsed as a full number
    region: str  # ISO country code, "" when unknown
    kind: str  # mobile, fixed line, toll free, ... or "unknown"
    official: str  # what the knowledge base says about it when it is an official line
    notes: tuple[str, ...]


@dataclass(frozen=True)
class EmailInfo:
    """An e-mail address in the message."""

    span: Span
    domain: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class WalletInfo:
    """A crypto wallet address in the message."""

    span: Span
    chain: str  # BTC, ETH or TRON
    checksum_ok: bool | None  # None when the format has no cheap checksum
    format: str


@dataclass(frozen=True)
class CheckResult:
    """Everything a check found. `unchecked` says what a check can never tell."""

    verdict: Verdict
    flags: tuple[FlagHit, ...]
    matches: tuple[TypeMatch, ...]
    links: tuple[LinkInfo, ...]
    phones: tuple[PhoneInfo, ...]
    emails: tuple[EmailInfo, ...]
    wallets: tuple[WalletInfo, ...]
    text: str  # the text that was checked (cleaned and cut); never stored
    unchecked: tuple[str, ...] = ()

    def flag_ids(self) -> tuple[str, ...]:
        """The ids of the flags found, in order."""
        return tuple(flag.id for flag in self.flags)
