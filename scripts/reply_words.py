"""Words a user reads in the first reply to a question, over every entry of the knowledge base.

    python scripts/reply_words.py [--knowledge knowledge] [--json]

"after" is what the conversation core sends today when a question finds an entry (title,
short answer, under-18 note where it applies); "before" is the reply it sent until issue 13
(title, full answer, red flags, what to do and sources in one message, still built by
`bot.conversation.views.answer_reply`). Words are whitespace-separated, as a reader scrolls
them; no model or index is needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answers import compose
from bot.conversation import views
from bot.conversation.core import Conversation
from bot.conversation.replies import Reply, Who
from bot.errors import ScamWiseError
from bot.knowledge.loader import load_knowledge
from bot.knowledge.models import KnowledgeBase
from bot.search.results import Hit, SearchResult, Status

WHO = Who(user_id=1, chat_id=1)


class NoStore:
    """Nothing is stored while measuring."""

    async def record_unanswered(self, *args: object) -> None:
        """Ignore."""

    async def record_feedback(self, entry_id: str, vote: int, *, voter: int | None = None) -> bool:
        """Ignore (and say the vote was counted)."""
        return True

    async def forget_user(self, user_id: int) -> int:
        """Nothing to forget."""
        return 0

    async def get_region(self, user_id: int) -> str | None:
        """No region chosen."""
        return None

    async def set_region(self, user_id: int, region: str) -> None:
        """Ignore."""


async def _find(entry_id: str, k: int) -> SearchResult:
    """A search that finds the entry named by the query (so every entry is measured once)."""
    return SearchResult(entry_id, Status.ANSWER, (Hit(entry_id, 1.0, 1.0, 1.0),))


def words(reply: Reply) -> int:
    """Whitespace-separated words of a reply's text."""
    return len(reply.plain_text().split())


async def measure(kb: KnowledgeBase) -> dict[str, dict[str, float]]:
    """Median and maximum words of the first reply, before and after, over every entry."""
    conversation = Conversation(kb, _find, NoStore())
    after = [words((await conversation.on_text(WHO, e.id))[0]) for e in kb.entries]
    before = [words(views.answer_reply(compose(e, kb))) for e in kb.entries]
    return {
        name: {"entries": len(counts), "median": statistics.median(counts), "max": max(counts)}
        for name, counts in (("before", before), ("after", after))
    }


def main(argv: list[str] | None = None) -> int:
    """Print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        kb = load_knowledge(args.knowledge)
    except ScamWiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    figures = asyncio.run(measure(kb))
    if args.json:
        print(json.dumps(figures))
        return 0
    print("| first reply | entries | median words | max words |")
    print("|---|---|---|---|")
    for name, row in figures.items():
        print(f"| {name} | {row['entries']} | {row['median']:g} | {row['max']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
