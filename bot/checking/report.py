"""A check result as plain JSON data (the CLI's `check --json`, the evaluation script)."""

from __future__ import annotations

from typing import Any

from bot.checking.result import CheckResult, Span


def _span(span: Span) -> dict[str, Any]:
    return {"start": span.start, "end": span.end, "text": span.text}


def check_json(result: CheckResult) -> dict[str, Any]:
    """verdict, flags ({id, span}), matches ({id, score}), links, phones, emails, wallets."""
    return {
        "verdict": result.verdict.value,
        "flags": [
            {"id": f.id, "name": f.name, "span": _span(f.spans[0]), "by": f.by, "score": f.score}
            for f in result.flags
        ],
        "matches": [{"id": m.entry_id, "score": m.score} for m in result.matches],
        "links": [
            {"url": link.span.text, "host": link.host, "domain": link.domain,
             "risky": link.risky, "notes": list(link.notes)}
            for link in result.links
        ],
        "phones": [
            {"number": p.span.text, "e164": p.e164, "region": p.region, "type": p.kind,
             "official": p.official, "notes": list(p.notes)}
            for p in result.phones
        ],
        "emails": [
            {"address": e.span.text, "domain": e.domain, "notes": list(e.notes)}
            for e in result.emails
        ],
        "wallets": [
            {"address": w.span.text, "chain": w.chain, "checksum_ok": w.checksum_ok}
            for w in result.wallets
        ],
        "unchecked": list(result.unchecked),
    }  # fmt: skip
