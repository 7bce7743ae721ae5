"""Entry views and region-aware help, for the conversation core to delegate to.

Buttons handled here (callback data, at most 64 bytes):
- `v:<section>:<entry id>`: one section of an entry, edited in place (see entry_views);
- `rs:<region>[:<entry id>]`: the user picked a region; show the hotlines, or that entry's
  "what to do" list with the region's lines;
- `rq[:<entry id>]`: ask the region again; `rg` / `rg:all`: the hotline view / every region.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.answers import Answer, compose
from bot.conversation import entry_views as ev
from bot.conversation import regions as rv
from bot.conversation.actions import Action, encode
from bot.conversation.markup import Span, plain
from bot.conversation.replies import Button, Outcome, Reply, Who
from bot.i18n import _, current_language
from bot.i18n.choose import from_language_code
from bot.knowledge.localize import entry_text
from bot.knowledge.models import Entry, KnowledgeBase
from bot.knowledge.placeholders import fill
from bot.knowledge.regions import RegionBook

HELP_VERBS = frozenset({"v", "rs", "rq", "rg"})
REPORT_ENTRY = "report-hotlines"


class HelpFlow:
    """Short-first entry replies and the user's region, over one knowledge base."""

    def __init__(
        self,
        kb: Callable[[], KnowledgeBase],
        memory: rv.RegionMemory,
        bot_username: Callable[[], str],
        values: Mapping[str, object] | None = None,
    ) -> None:
        self._kb = kb
        self._values = values or {}  # placeholders such as {retention_days}, from settings
        self.memory = memory
        self._bot_username = bot_username

    @property
    def book(self) -> RegionBook | None:
        """The regions of the current knowledge base (None when it has no regions.yaml)."""
        return self._kb().regions

    def _entry(self, entry_id: str) -> Entry | None:
        return self._kb().get(entry_id)

    def _compose(self, entry: Entry) -> Answer:
        return compose(entry, self._kb(), self._values, current_language())

    def _short(self, entry: Entry) -> str:
        return fill(entry_text(entry, current_language()).short, self._values)

    def _guess(self, who: Who) -> str | None:
        """The language regions are guessed from: the last message's, else the app's."""
        return self.memory.languages.get(who.user_id) or from_language_code(who.language_code)

    # --- entry replies ----------------------------------------------------------------------

    def answer(
        self,
        entry_id: str,
        who: Who | None = None,
        *,
        feedback: bool = True,
        back: str | None = None,
        edit: bool = False,
    ) -> Reply:
        """The first reply for an entry: short view in private chats, short + link in groups."""
        entry = self._entry(entry_id)
        if entry is None:
            raise KeyError(entry_id)
        answer = self._compose(entry)
        if who is not None and who.group:
            return ev.group_reply(answer, self._short(entry), self._bot_username())
        return ev.short_reply(answer, self._short(entry), feedback=feedback, back=back, edit=edit)

    def inline_text(self, entry_id: str) -> tuple[Span, ...]:
        """What an inline result posts for this entry."""
        entry = self._entry(entry_id)
        if entry is None:
            raise KeyError(entry_id)
        return ev.inline_text(self._compose(entry), self._short(entry), self._bot_username())

    async def section(self, who: Who, section: str, entry_id: str) -> Reply | None:
        """One section of an entry, in place; None for unknown sections or entries."""
        entry = self._entry(entry_id)
        if entry is None or section not in ev.SECTIONS:
            return None
        answer = self._compose(entry)
        if section == ev.SHORT:
            return ev.short_reply(answer, self._short(entry), edit=True)
        if section == ev.WHAT_TO_DO:
            return await self._what_to_do(who, answer)
        if section == ev.OTHER_REGIONS:
            book = self.book
            return rv.others_reply(book, ev.view(entry_id, ev.WHAT_TO_DO)) if book else None
        builders = {
            ev.RED_FLAGS: ev.red_flags_reply,
            ev.FULL: ev.full_reply,
            ev.SOURCES: ev.sources_reply,
            ev.RELATED: ev.related_reply,
        }
        return builders[section](answer)

    async def _what_to_do(self, who: Who, answer: Answer) -> Reply:
        """The steps, with the user's region's lines (or the region question) for the hotline."""
        book = self.book
        if book is None:
            return ev.what_to_do_reply(answer, None, [], [])
        region = book.get(await self.memory.region_of(who.user_id))
        eid = answer.entry_id
        if region is None:
            language = self._guess(who)
            spans: list[Span] = [plain(rv.question_text(book, language))]
            rows = rv.question_rows(book, language, eid)
            return ev.what_to_do_reply(answer, rv.hotline_line(book), spans, rows)
        others = Button(_(rv.OTHERS_LABEL), ev.view(eid, ev.OTHER_REGIONS))
        change = Button(_(rv.CHANGE_LABEL), encode("rq", eid))
        block = rv.region_block(book, region)
        return ev.what_to_do_reply(answer, rv.hotline_line(book), block, [(others, change)])

    # --- hotlines and regions ---------------------------------------------------------------

    async def hotline(self, who: Who, *, edit: bool = False) -> Reply:
        """The hotline view for this user: their region's lines, or the region question first.

        This is the function to call wherever a hotline matters (/report, "I've been
        scammed", a message check that found a scam).
        """
        book = self.book
        note = ev.UNDER_18_NOTES.get(REPORT_ENTRY, "")
        if book is None:
            return self.answer(REPORT_ENTRY, feedback=False, edit=edit)
        region = book.get(await self.memory.region_of(who.user_id))
        if region is None:
            language = self._guess(who)
            intro = [plain(_(rv.MONEY_FIRST) + "\n\n" + _(note) + "\n\n")]
            return rv.question_reply(book, language, intro, edit=edit)
        return rv.hotline_reply(book, region, note, edit=edit)

    async def region_command(self, who: Who) -> Reply:
        """/region: ask again (the current choice is replaced when a button is pressed)."""
        book = self.book
        if book is None:
            return self.answer(REPORT_ENTRY, feedback=False)
        return rv.question_reply(book, self._guess(who))

    async def button(self, who: Who, action: Action) -> Outcome | None:
        """Handle v / rs / rq / rg presses; None when the data does not fit."""
        verb, arg, arg2 = action.verb, action.arg, action.arg2
        if verb == "v":
            reply = await self.section(who, arg, arg2)
            return Outcome([reply]) if reply is not None else None
        book = self.book
        if book is None:
            return None
        if verb == "rs":
            return await self._chosen(who, book, arg, arg2)
        if verb == "rq" and not arg2 and (not arg or self._entry(arg)):
            language = self._guess(who)
            if arg:
                rows = tuple(rv.question_rows(book, language, arg))
                text = (plain(rv.question_text(book, language)),)
                return Outcome([Reply(text, rows, edit=True)])
            return Outcome([rv.question_reply(book, language, edit=True)])
        if verb == "rg" and arg in {"", "all"} and not arg2:
            if arg == "all":
                return Outcome([rv.others_reply(book, encode("rg"))])
            return Outcome([await self.hotline(who, edit=True)])
        return None

    async def _chosen(
        self, who: Who, book: RegionBook, region_id: str, entry_id: str
    ) -> Outcome | None:
        region = book.get(region_id)
        if region is None or (entry_id and self._entry(entry_id) is None):
            return None
        await self.memory.choose(who.user_id, region.id)
        notice = _(rv.CHOSEN).format(region=rv.region_name(region))
        if entry_id:
            reply = await self.section(who, ev.WHAT_TO_DO, entry_id)
            return Outcome([reply] if reply else [], notice)
        note = ev.UNDER_18_NOTES.get(REPORT_ENTRY, "")
        return Outcome([rv.hotline_reply(book, region, note, edit=True, saved=True)], notice)
