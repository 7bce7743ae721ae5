"""The conversation's inline mode: entries (or a message check) offered as the user types
`@bot <query>` in any chat (mixed into `bot.conversation.core.Conversation`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.answers import compose
from bot.conversation.flood import FloodGuard, Verdict
from bot.conversation.replies import Article, Who
from bot.i18n import current_language
from bot.knowledge.localize import entry_text
from bot.knowledge.placeholders import fill
from bot.search.results import SearchResult, Status

if TYPE_CHECKING:
    from bot.conversation.check_flow import CheckFlow
    from bot.conversation.core import ConversationConfig
    from bot.conversation.help_flow import HelpFlow
    from bot.knowledge.models import KnowledgeBase


class InlineMode:
    """Inline queries, for a conversation with search, knowledge, help flow and checker."""

    kb: KnowledgeBase
    values: dict[str, object]
    config: ConversationConfig
    help: HelpFlow
    checks: CheckFlow | None
    inline_flood: FloodGuard
    search: Callable[[str, int], Awaitable[SearchResult]]

    def admit_inline(self, who: Who) -> bool:
        """True when the user's inline queries are within their (separate) budget."""
        return self.inline_flood.check(who.user_id) is Verdict.ALLOW

    async def _inline(self, query: str) -> list[Article]:
        """The articles of an inline query, in the language being spoken."""
        head, _sep, rest = query.strip().partition(" ")
        if head.lower() == "check" and self.checks is not None:
            article = await self.checks.article(rest)
            return [article] if article is not None else []
        result = await self.search(query, 3)
        if result.status in (Status.EMPTY, Status.DECLINED):
            return []
        articles = []
        for hit in result.hits[:3]:
            if hit.score < self.config.threshold:
                continue
            entry = self.kb.get(hit.entry_id)
            if entry is None:
                raise KeyError(hit.entry_id)
            answer = compose(entry, self.kb, self.values, current_language())
            short = entry_text(entry, current_language()).short
            description = _preview(fill(short, self.values) or answer.text)
            text = self.help.inline_text(answer.entry_id)
            articles.append(Article(answer.entry_id, answer.title, description, text))
        return articles


def _preview(text: str, limit: int = 120) -> str:
    """The start of an answer for an inline result: whole words, "…" only when cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
