"""The conversation core: what to reply to a text, a command or a button press.

Adapters (Telegram, console) turn their events into calls on `Conversation` and render the
`Reply` objects it returns. Nothing here knows about Telegram.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.conversation import texts, views
from bot.conversation.actions import Action, encode, parse
from bot.conversation.flood import FloodGuard, Verdict
from bot.conversation.group_quizzes import GroupQuizzes
from bot.conversation.help_flow import HELP_VERBS, HelpFlow
from bot.conversation.inline_mode import InlineMode
from bot.conversation.quiz_flow import QUIZ_COMMANDS, QUIZ_VERBS, QuizFlow
from bot.conversation.regions import RegionMemory
from bot.conversation.replies import Article, Outcome, Reply, Who
from bot.i18n import _, current_language, speaking
from bot.i18n.hant import Traditional
from bot.i18n.speaker import Speaker, split_link_language
from bot.knowledge.localize import LANGUAGES, entry_text
from bot.knowledge.models import TOPICS, Entry, KnowledgeBase
from bot.knowledge.placeholders import fill, values_from
from bot.search.results import SearchResult, Status

if TYPE_CHECKING:
    from bot.conversation.check_flow import CheckFlow
    from bot.quizzes.engine import QuizEngine
    from bot.quizzes.models import Quiz

log = logging.getLogger(__name__)

SearchFn = Callable[[str, int], Awaitable[SearchResult]]
T = TypeVar("T")
# The /language buttons: each language named in itself, the same whatever language is shown.
LANGUAGE_NAMES: tuple[tuple[str, str], ...] = tuple(
    zip(LANGUAGES, ("English", "简体中文", "繁體中文"), strict=True)
)
REPORT_ENTRY = "report-hotlines"
_NO_ARGUMENT = frozenset({"menu", "tl", "tip", "report"})
PRIVACY_ENTRY = "privacy"
# Links name the bot: SCAMWISE_BOT_USERNAME, or the real one once Telegram answers getMe. Until
# then links show this placeholder, which says what to set, rather than a made-up bot.
DEFAULT_BOT_USERNAME = "SET_SCAMWISE_BOT_USERNAME"


class Recorder(Protocol):
    """The storage the conversation writes to (see bot.storage.store.Store)."""

    async def record_unanswered(
        self, question: str, best_id: str | None, score: float, status: str
    ) -> None: ...

    async def record_feedback(
        self, entry_id: str, vote: int, *, voter: int | None = None
    ) -> bool: ...

    async def forget_user(self, user_id: int) -> int: ...

    async def get_region(self, user_id: int) -> str | None: ...

    async def set_region(self, user_id: int, region: str) -> None: ...


@dataclass(frozen=True)
class ConversationConfig:
    """Tunables of the conversation."""

    threshold: float = 0.45  # the retriever's decline threshold, to spot low-confidence answers
    low_confidence_margin: float = 0.08  # answers below threshold + margin are logged for review
    flood_limit: int = 10
    flood_window_s: float = 30.0
    retention_days: int = 180  # SCAMWISE_RETENTION_DAYS, stated by the privacy answer


class Conversation(GroupQuizzes, InlineMode):
    """One shared conversation core for every adapter and every user (group quizzes and inline
    mode in their own modules)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        search: SearchFn,
        store: Recorder,
        config: ConversationConfig | None = None,
        rng: random.Random | None = None,
        *,
        quizzes: QuizEngine | None = None,
        bot_username: str = DEFAULT_BOT_USERNAME,
        checks: CheckFlow | None = None,
        traditional: Traditional | None = None,
    ) -> None:
        self.kb = kb
        self.search = search
        self.store = store
        self.config = config or ConversationConfig()
        self.values = values_from(self.config.retention_days)  # placeholders in answers
        self.rng = rng or random.Random()
        self.flood = FloodGuard(self.config.flood_limit, self.config.flood_window_s)
        # Inline queries arrive as the user types, several per question: a separate, larger
        # budget, so typing one long query does not use up the user's message budget.
        self.inline_flood = FloodGuard(self.config.flood_limit * 3, self.config.flood_window_s)
        self.bot_username = bot_username  # used in quiz links; adapters may set it later
        self.quiz = QuizFlow(quizzes, lambda: self.bot_username) if quizzes is not None else None
        self.help = HelpFlow(
            lambda: self.kb, RegionMemory(store), lambda: self.bot_username, self.values
        )
        self.checks = checks  # the message checker (bot.conversation.check_flow), if wired
        # Each event's language, and Traditional Chinese made from the Simplified reply.
        self.speaker = Speaker(store, traditional)
        self._run_languages: dict[int, tuple[str, Who]] = {}  # group quiz run -> who started it

    async def speak(
        self, who: Who, build: Callable[[], Awaitable[T]], text: str | None = None
    ) -> T:
        """Build a reply in this user's language (see bot.i18n.choose) and finish it there.

        `text` is what the user wrote, if anything: its language comes first. Adapters use
        this for their own fixed texts too, so that everything a user reads is in one language.
        """
        lang = await self.speaker.resolve(who, text)
        with speaking(lang, await self.speaker.shown(lang, who)):
            result = await build()
        # Read again: the event may have just chosen a region (Taiwan words from this reply on).
        return await self.speaker.finish(lang, who, result)

    async def say(self, who: Who, build: Callable[[], list[Reply]]) -> list[Reply]:
        """`speak` for replies built without awaiting anything (an adapter's own texts)."""

        async def built() -> list[Reply]:
            return build()

        return await self.speak(who, built)

    def replace_knowledge(
        self, kb: KnowledgeBase, search: SearchFn, quizzes: dict[str, Quiz] | None = None
    ) -> None:
        """Serve a new knowledge base, search and quizzes from now on (used by /reload)."""
        self.kb, self.search = kb, search
        if quizzes is not None and self.quiz is not None:
            self.quiz.engine.quizzes = quizzes

    def admit(self, who: Who) -> list[Reply] | None:
        """Apply the flood limit to a message or command: None to go on, or what to say instead.

        Button presses are not counted: they never reach the model, and a quiz takes two taps
        per question (👍/👎 votes are, in `_feedback`: they write to the database).
        """
        verdict = self.flood.check(who.user_id)
        if verdict is Verdict.ALLOW:
            return None
        if verdict is not Verdict.NOTICE:
            return []
        lang = self.speaker.memory.quick(who.user_id, who.language_code)  # no database read
        with speaking(lang):
            replies = [views.text_reply(_(texts.FLOODED))]
        return self.speaker.finish_quick(lang, who, replies)

    # --- text -------------------------------------------------------------------------------

    async def on_text(self, who: Who, text: str) -> list[Reply]:
        """Answer a free-text question from the knowledge base, or decline kindly.

        In private chat a text that reads like a pasted message is checked instead.
        """
        return await self.speak(who, lambda: self._on_text(who, text), text)

    async def _on_text(self, who: Who, text: str) -> list[Reply]:
        if self.checks is not None and self.checks.wants_check(who, text):
            return await self.checks.reply(who, text, source="paste")
        self.help.memory.heard(who.user_id, text)
        result = await self.search(text, 3)
        await self._record(result)
        if result.status is Status.EMPTY:
            return [views.text_reply(_(texts.EMPTY))]
        if result.status is Status.DECLINED:
            topics = [self._topic(h.entry_id) for h in result.hits]
            reply = views.declined_reply(views.suggest_topics(topics))
            return [reply, views.text_reply(_(texts.REPORT_POINTER))]
        if result.status is Status.AMBIGUOUS:
            choices = [(h.entry_id, self._title(h.entry_id)) for h in result.choices]
            return [views.did_you_mean_reply(choices)]
        assert result.best is not None
        return [self.help.answer(result.best.entry_id, who)]

    async def on_check(
        self, who: Who, text: str, *, source: str, read_from_image: bool = False
    ) -> list[Reply]:
        """Check a message (forwarded, replied to with /check, or read from a screenshot)."""
        return await self.speak(
            who, lambda: self._on_check(who, text, source, read_from_image), text
        )

    async def _on_check(
        self, who: Who, text: str, source: str, read_from_image: bool
    ) -> list[Reply]:
        if self.checks is None:
            return [views.text_reply(_(texts.UNSUPPORTED))]
        return await self.checks.reply(who, text, source=source, read_from_image=read_from_image)

    async def on_unsupported(self, who: Who) -> list[Reply]:
        """Stickers, photos without caption, voice and so on: explain that we read text."""
        return await self.say(who, lambda: [views.text_reply(_(texts.UNSUPPORTED))])

    # --- commands ---------------------------------------------------------------------------

    async def on_command(self, who: Who, command: str, args: str = "") -> list[Reply]:
        """Run a /command; unknown ones get the help text.

        A deep link's language (`/start zh-topic-…`) counts as the language the user wrote in;
        so does the text after /check.
        """
        written: str | None = args if command.lower() == "check" else None
        if command.lower() == "start":
            lang, args = split_link_language(args)
            if lang is not None:
                self.speaker.memory.hear(who.user_id, lang)
        return await self.speak(who, lambda: self._on_command(who, command, args), written)

    async def _on_command(self, who: Who, command: str, args: str) -> list[Reply]:
        if command.lower() in QUIZ_COMMANDS:
            if self.quiz is None:
                return [views.text_reply(_(texts.QUIZ_UNAVAILABLE))]
            return await self.quiz.command(who, command.lower(), args)
        handler = {
            "start": self._start,
            "help": self._help,
            "topics": self._topics,
            "tips": self._tip,
            "tip": self._tip,
            "report": self._report,
            "privacy": self._privacy,
            "forgetme": self._forget_ask,
            "region": self._region,
            "check": self._check,
            "language": self._language,
        }.get(command.lower(), self._help)
        return await handler(who, args)

    async def _start(self, who: Who, payload: str) -> list[Reply]:
        if payload.startswith("topic-") and self.kb.get(payload[len("topic-") :]):
            return [self.help.answer(payload[len("topic-") :], who)]
        if payload.startswith("quiz-") and self.quiz is not None:
            replies = await self.quiz.deep_link(who, payload[len("quiz-") :])
            if replies is not None:
                return replies
        return [views.welcome_reply(quiz=self._has_quizzes())]

    async def _help(self, who: Who, args: str) -> list[Reply]:
        return [views.help_reply()]

    async def _topics(self, who: Who, args: str) -> list[Reply]:
        return [views.topics_reply(self.kb)]

    async def _tip(self, who: Who, args: str) -> list[Reply]:
        # By position: an entry's zh red flags match its English ones item for item.
        flags = [(i, e) for e in self.kb.entries for i in range(len(e.red_flags))]
        if not flags:
            return [views.help_reply()]
        index, entry = self.rng.choice(flags)
        text = entry_text(entry, current_language())
        flag = fill(text.red_flags[index], self.values)
        return [views.tip_reply(flag, entry.id, text.title)]

    async def _report(self, who: Who, args: str) -> list[Reply]:
        return [await self.hotline_reply(who)]

    async def _region(self, who: Who, args: str) -> list[Reply]:
        return [await self.help.region_command(who)]

    async def hotline_reply(self, who: Who, *, edit: bool = False) -> Reply:
        """The hotline view for this user: their region's lines, or the region question."""
        return await self.help.hotline(who, edit=edit)

    async def _privacy(self, who: Who, args: str) -> list[Reply]:
        return [self.help.answer(PRIVACY_ENTRY, who, feedback=False)]

    async def _check(self, who: Who, args: str) -> list[Reply]:
        return await self._on_check(who, args, "command", False)

    async def _language(self, who: Who, args: str) -> list[Reply]:
        return [views.language_reply(LANGUAGE_NAMES)]

    async def _forget_ask(self, who: Who, args: str) -> list[Reply]:
        return [views.forget_confirm_reply()]

    # --- buttons ----------------------------------------------------------------------------

    async def on_button(self, who: Who, data: str) -> Outcome:
        """Handle a button press; forged or stale data gets "this button has expired"."""
        action = parse(data)
        if action is not None and action.verb == "lang":
            if action.arg not in LANGUAGES or action.arg2:
                return await self.speak(who, self._expired)
            # Stored first, so that the confirmation is already in the chosen language.
            await self.speaker.memory.choose(who.user_id, action.arg)
            name = dict(LANGUAGE_NAMES)[action.arg]
            return await self.speak(who, lambda: self._language_chosen(name))
        return await self.speak(who, lambda: self._button(who, action))

    async def _expired(self) -> Outcome:
        return Outcome(notice=_(texts.EXPIRED))

    async def _language_chosen(self, name: str) -> Outcome:
        said = _(texts.LANGUAGE_CHOSEN).format(language=name)
        return Outcome([views.text_reply(said, edit=True)])

    async def _button(self, who: Who, action: Action | None) -> Outcome:
        outcome = await self._dispatch(who, action) if action is not None else None
        return outcome if outcome is not None else await self._expired()

    async def _dispatch(self, who: Who, action: Action) -> Outcome | None:
        verb, arg = action.verb, action.arg
        if verb in QUIZ_VERBS:
            return await self.quiz.button(who, action) if self.quiz is not None else None
        if verb in HELP_VERBS:
            return await self.help.button(who, action)
        if verb in _NO_ARGUMENT and (arg or action.arg2):
            return None
        if verb == "menu":
            return Outcome([views.topics_reply(self.kb)])
        if verb == "tl":
            return Outcome([views.topics_reply(self.kb, edit=True)])
        if verb == "t" and arg in TOPICS and self.kb.by_topic(arg):
            return Outcome([views.topic_reply(self.kb, arg)])
        if verb in {"e", "b"} and self.kb.get(arg):
            back = encode("t", self._topic(arg)) if verb == "b" else None
            return Outcome([self.help.answer(arg, back=back, edit=verb == "b")])
        if verb == "fb" and arg in {"u", "d"} and self.kb.get(action.arg2):
            return await self._feedback(who, action.arg2, 1 if arg == "u" else -1)
        if verb == "tip":
            return Outcome(await self._tip(who, ""))
        if verb == "report":
            return Outcome(await self._report(who, ""))
        if verb == "fg" and arg in {"yes", "no"}:
            return await self._forget(who, arg == "yes")
        return None

    async def _feedback(self, who: Who, entry_id: str, vote: int) -> Outcome:
        # Votes are written to the database: presses count in the flood limit (forged presses
        # arrive by the hundred), and each user has one vote per entry (stored as a hash).
        if self.flood.check(who.user_id) is not Verdict.ALLOW:
            return Outcome(notice=_(texts.FLOODED))
        try:
            await self.store.record_feedback(entry_id, vote, voter=who.user_id)
        except Exception:  # storage trouble must not spoil the conversation
            log.exception("could not store feedback for %s", entry_id)
        reply = self.help.answer(entry_id, feedback=False, edit=True)
        return Outcome([reply], _(texts.FEEDBACK_THANKS))

    async def _forget(self, who: Who, confirmed: bool) -> Outcome:
        if not confirmed:
            return Outcome([views.text_reply(_(texts.FORGET_CANCELLED), edit=True)])
        count = await self.store.forget_user(who.user_id)
        self.help.memory.forget(who.user_id)
        self.speaker.memory.forget(who.user_id)
        done = _(texts.FORGET_DONE).format(records=texts.records(count))
        return Outcome([views.text_reply(done, edit=True)])

    # --- inline mode (the rest is in bot.conversation.inline_mode) --------------------------

    async def inline(self, query: str, who: Who | None = None) -> list[Article]:
        """The top three entries for an inline query (none when nothing fits).

        `check <message>` gives the message checker's verdict as one article instead.
        """
        who = who or Who(user_id=0, chat_id=0)
        return await self.speak(who, lambda: self._inline(query), query)

    # --- helpers ----------------------------------------------------------------------------

    def _has_quizzes(self) -> bool:
        """Whether a quiz engine with at least one quiz is wired in."""
        return self.quiz is not None and bool(self.quiz.engine.quizzes)

    def _entry(self, entry_id: str) -> Entry:
        entry = self.kb.get(entry_id)
        if entry is None:
            raise KeyError(entry_id)
        return entry

    def _title(self, entry_id: str) -> str:
        return entry_text(self._entry(entry_id), current_language()).title

    def _topic(self, entry_id: str) -> str:
        entry = self.kb.get(entry_id)
        return entry.topic if entry else ""

    async def _record(self, result: SearchResult) -> None:
        """Store declined, ambiguous and low-confidence questions (no user id) for maintainers."""
        status = _review_status(result, self.config)
        if status is None:
            return
        best = result.hits[0] if result.hits else None
        try:
            await self.store.record_unanswered(
                result.query, best.entry_id if best else None, result.top_score, status
            )
        except Exception:  # storage trouble must not stop the answer
            log.exception("could not store an unanswered question")


def _review_status(result: SearchResult, config: ConversationConfig) -> str | None:
    if result.status is Status.DECLINED:
        return "declined"
    if result.status is Status.AMBIGUOUS:
        return "ambiguous"
    if result.status is Status.ANSWER and (
        result.top_score < config.threshold + config.low_confidence_margin
    ):
        return "low"
    return None
