"""Links and e-mail addresses in a message, judged by their form alone (never opened).

Domains are split with `tldextract` using the public suffix list bundled in the package, with
fetching turned off (no network), and punycode is decoded with `idna`.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata

import idna
import tldextract

from bot.checking.linkdata import Brand, LinkData
from bot.checking.result import EmailInfo, LinkInfo, Span
from bot.i18n import N_

_URL = re.compile(
    r"(?i)(?<![@\w.-])("
    r"(?:https?://|hxxps?://)[^\s<>\"'，。、）)]+"
    r"|www\.[^\s<>\"'，。、）)]+"
    r"|(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,62})\.)+[a-z\u00a1-\uffff-]{2,63}"
    r"(?:/[^\s<>\"'，。、）)]*)?"
    r")"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.+-]{1,64}@((?:[a-z0-9-]+\.)+[a-z]{2,63})\b")
_TRAILING = ".,;:!?)]}'\"…"
# Characters that are drawn like Latin letters (a small part of Unicode's confusables list)
# and the digit/letter swaps scammers use in domains.
_CONFUSABLE = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ո": "n", "ս": "u", "ω": "w", "ν": "v",
    "α": "a", "ο": "o", "ρ": "p", "τ": "t", "κ": "k", "ι": "i", "0": "o", "1": "l", "3": "e",
    "5": "s", "7": "t", "$": "s", "@": "a",
})  # fmt: skip


@functools.lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    """A TLDExtract on the bundled suffix list: no download, no cache folder."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def skeleton(label: str) -> str:
    """A domain label with lookalike characters mapped to the Latin letters they imitate."""
    folded = unicodedata.normalize("NFKC", label.lower()).translate(_CONFUSABLE)
    return folded.replace("rn", "m").replace("vv", "w").replace("-", "")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions each cost 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _decode_host(host: str) -> tuple[str, bool]:
    """The host in Unicode and whether any label was punycode."""
    labels = host.split(".")
    puny = any(label.startswith("xn--") for label in labels)
    if not puny:
        return host, False
    try:
        return idna.decode(host), True
    except idna.IDNAError:
        return host, True


def _host_of(url: str) -> str:
    rest = re.sub(r"(?i)^(https?|hxxps?)://", "", url)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]  # user:password@host
    return host.split(":", 1)[0].lower().strip(".")


def _ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def lookalike_of(domain: str, subdomain: str, data: LinkData) -> Brand | None:
    """The brand a domain imitates: one edit or one lookalike character away from a real
    domain, or the brand's name inside a domain that is not the brand's."""
    if data.official_brand(domain) is not None:
        return None
    label = domain.split(".", 1)[0]
    shape = skeleton(label)
    tokens = set(re.split(r"[-\d.]+", f"{subdomain}.{label}".lower())) - {""}
    for brand in data.brands:
        key = brand.key
        for real in brand.domains:
            real_label = real.split(".", 1)[0]
            if shape == skeleton(real_label) and len(real_label) >= 3:
                return brand
            if len(real_label) >= 5 and edit_distance(label, real_label) <= 1:
                return brand
        if key in tokens or (len(key) >= 5 and (key in label or key in subdomain)):
            return brand
    return None


def analyse_link(raw: str, span: Span, data: LinkData) -> LinkInfo | None:
    """What the form of one link says; None when it is not a link after all."""
    host, puny = _decode_host(_host_of(raw))
    if not host:
        return None
    notes: list[str] = []
    if _ip(host):
        notes.append(N_("It goes to a raw IP address instead of a name: real services do not."))
        domain = ""
    else:
        parts = _extractor()(host)
        if not parts.suffix or not parts.domain:
            return None
        domain = f"{parts.domain}.{parts.suffix}"
        if puny:
            notes.append(
                N_(
                    "Its name uses non-Latin lookalike characters (punycode): "
                    "it can look like a real site and be another one."
                )
            )
        if domain in data.shorteners or host in data.shorteners:
            notes.append(N_("It is a shortened link: you cannot see where it really goes."))
        tld = parts.suffix.rsplit(".", 1)[-1]
        if tld in data.risky_tlds:
            notes.append(f"It ends in .{tld}, an ending scam links use often.")
        brand = lookalike_of(domain, parts.subdomain, data)
        if brand is not None:
            notes.append(
                f"It looks like {brand.name} ({brand.domains[0]}) but is a different site."
            )
        official = data.official_brand(domain)
        if official is not None and not notes:
            return LinkInfo(span, host, domain, (
                f"The domain is {official.name}'s real one; still, open {official.name} "
                "from its own app or a bookmark, not from a message.",
            ), risky=False)  # fmt: skip
    if raw.lower().startswith(("http://", "hxxp://")):
        notes.append(N_("It uses plain http: nothing you type there is encrypted."))
    return LinkInfo(span, host, domain, tuple(notes), risky=bool(notes))


def find_links(text: str, data: LinkData) -> list[LinkInfo]:
    """Every link in the text (with or without http://), judged by its form."""
    found: list[LinkInfo] = []
    for match in _URL.finditer(text):
        raw = match.group(1).rstrip(_TRAILING)
        start = match.start(1)
        info = analyse_link(raw, Span(start, start + len(raw), raw), data)
        if info is not None:
            found.append(info)
    return found


def find_emails(text: str, data: LinkData) -> list[EmailInfo]:
    """Every e-mail address, with a note when its domain imitates a brand."""
    found: list[EmailInfo] = []
    for match in _EMAIL.finditer(text):
        domain_host = match.group(1).lower()
        parts = _extractor()(domain_host)
        domain = f"{parts.domain}.{parts.suffix}" if parts.suffix else domain_host
        notes: list[str] = []
        brand = lookalike_of(domain, parts.subdomain, data)
        if brand is not None:
            notes.append(f"The address imitates {brand.name} but is not from {brand.domains[0]}.")
        if parts.suffix.rsplit(".", 1)[-1] in data.risky_tlds:
            notes.append(f"It ends in .{parts.suffix}, an ending scam mail uses often.")
        span = Span(match.start(), match.end(), match.group(0))
        found.append(EmailInfo(span, domain, tuple(notes)))
    return found
