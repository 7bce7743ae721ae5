"""The one place that wires ScamWise: settings -> store -> retriever -> conversation.

Adapters (Telegram, console) get a ready `Services` and close it at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.checking.checker import MessageChecker
from bot.checking.linkdata import load_link_data
from bot.checking.ocr import ScreenshotReader
from bot.checking.scoring import ScoringWeights
from bot.checking.service import AsyncChecker
from bot.checking.textmodel import TextModel
from bot.conversation.check_flow import CheckFlow
from bot.conversation.core import Conversation, ConversationConfig
from bot.errors import IndexCorruptError
from bot.i18n.catalog import load_catalogues
from bot.i18n.hant import load_traditional
from bot.knowledge.loader import content_hash, load_knowledge
from bot.knowledge.models import KnowledgeBase
from bot.quizzes.engine import QuizEngine
from bot.quizzes.loader import QUIZZES_DIR, load_quizzes
from bot.quizzes.models import Quiz
from bot.search.batcher import AsyncSearcher
from bot.search.config import RetrievalConfig
from bot.search.embedder import Embedder, shared_embedder
from bot.search.encoders import zh_encoder_source
from bot.search.index import (
    REBUILD,
    check_encoder_path,
    check_fresh,
    encoder_path,
    load_checks,
    load_index,
    load_zh_vectors,
    read_meta,
    segmenter_path,
    zh_encoder_path,
)
from bot.search.lexical import load_segmenter
from bot.search.retriever import DenseRoute, Retriever
from bot.search.scope import load_scope
from bot.settings import Settings
from bot.storage.leader import Leadership
from bot.storage.store import Store

log = logging.getLogger(__name__)

# Retention runs at start and then once a day while the bot runs (weeks or months on end).
PRUNE_INTERVAL_S = 24 * 60 * 60.0
# A group quiz still open this long after the longest quiz could have ended was abandoned
# (its replica died or stopped); the leading replica closes it so that the chat is free.
GROUP_RUN_MARGIN_S = 120.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def retrieval_config(settings: Settings) -> RetrievalConfig:
    """Retrieval parameters with the overrides from settings."""
    config = RetrievalConfig(ambiguity_margin=settings.ambiguity_margin)
    if settings.decline_threshold is not None:
        config = replace(config, threshold=settings.decline_threshold)
    return config


def open_knowledge(settings: Settings) -> KnowledgeBase:
    """Load and validate the knowledge folder named by the settings."""
    return load_knowledge(settings.knowledge_dir)


def open_retriever(
    settings: Settings,
    embedder: Embedder | None = None,
    kb: KnowledgeBase | None = None,
    scope: bool = True,
) -> Retriever:
    """Load knowledge and index, refuse a stale index, and return a ready retriever (`scope`
    False: without the scope model, as `scripts/fit_scope.py` fits it and `evaluate.py
    --no-scope` compares).

    Without `embedder`, questions are encoded by the encoder the index was built with, and the
    scope model (bot/search/scope.py) takes part in declining: its weights were fitted on those
    encoders' scores, so a caller's embedder gets the score threshold alone.
    """
    kb = kb if kb is not None else open_knowledge(settings)
    where = settings.index_path
    index, meta = load_index(where)
    given = embedder is not None  # a caller's embedder encodes questions in every language
    zh_model = None if given else settings.chinese_model
    zh_source = zh_encoder_source(meta.zh_model) if meta.zh_encoder_file and not given else None
    check_fresh(
        meta, model=settings.model, content_hash=content_hash(kb), where=where, zh_model=zh_model,
        zh_source=zh_source,
    )  # fmt: skip
    zh = None
    if embedder is None:
        onnx_file = encoder_path(where, meta)
        embedder = shared_embedder(settings.model, onnx_file, settings.encoder_threads)
        zh_vectors = load_zh_vectors(where, meta)
        if zh_vectors is not None:
            zh_file = zh_encoder_path(where, meta)
            zh_embedder = shared_embedder(meta.zh_model, zh_file, settings.encoder_threads)
            zh = DenseRoute(zh_vectors, zh_embedder)
    load_segmenter(segmenter_path(where, meta))  # jieba, from the index's copy of its dictionary
    try:
        config = retrieval_config(settings)
        reader = load_scope() if scope and not given else None
        return Retriever(kb, index, embedder, config, zh=zh, scope=reader)
    except ValueError as exc:  # meta.json names entries that are not in the knowledge base
        raise IndexCorruptError(
            f"the index in {settings.index_path} does not fit the knowledge base ({exc}): "
            f"{REBUILD}"
        ) from exc


def open_content(
    settings: Settings, embedder: Embedder | None = None
) -> tuple[Retriever, dict[str, Quiz]]:
    """The retriever (knowledge, index, model) and the quizzes that refer to its entries."""
    retriever = open_retriever(settings, embedder)
    return retriever, load_quizzes(settings.knowledge_dir / QUIZZES_DIR, retriever.kb)


def open_checker(
    settings: Settings,
    retriever: Retriever,
    text_model: TextModel | None = None,
    weights: ScoringWeights | None = None,
) -> MessageChecker:
    """The message checker over the retriever's knowledge, model and index folder (and the
    fitted text model and weights, unless others are given: `fit_checker.py` fits its own).

    Messages are encoded by the encoder that made the checker's vectors: the index's int8
    copy when it has one (`bot.search.encoders.prepare_check_encoder`), else the retriever's.
    """
    meta = read_meta(settings.index_path)
    checks = load_checks(settings.index_path, meta)
    links = load_link_data(settings.knowledge_dir)
    embedder: Embedder | None = retriever.embedder
    if meta.check_encoder_file:
        onnx_file = check_encoder_path(settings.index_path, meta)
        embedder = shared_embedder(settings.model, onnx_file, settings.encoder_threads)
    return MessageChecker(
        retriever.kb, retriever, embedder, checks, links,
        weights=weights, text_model=text_model,
    )  # fmt: skip


@dataclass
class Services:
    """The long-lived resources of a running bot: opened once, closed at shutdown."""

    settings: Settings
    retriever: Retriever
    searcher: AsyncSearcher
    store: Store
    conversation: Conversation
    embedder: Embedder | None = None  # given at start, else each index's own encoder
    checker: AsyncChecker | None = None
    reader: ScreenshotReader | None = None  # OCR for screenshots, loaded on the first one
    clock: Callable[[], datetime] = field(default=_utc_now)  # "now" for retention
    # Which replica runs the timed jobs (PostgreSQL advisory lock); None: this one, always.
    leadership: Leadership | None = None
    longest_group_run_s: float = 0.0  # the longest a group quiz can take, polls and all

    @property
    def runs_jobs(self) -> bool:
        """Whether this process runs the timed jobs (retention) now."""
        return self.leadership is None or self.leadership.is_leader

    async def close_abandoned_runs(self) -> int:
        """Close group quizzes open past any possible end (a job of the leading replica)."""
        if not self.runs_jobs:
            return 0
        limit = timedelta(seconds=self.longest_group_run_s + GROUP_RUN_MARGIN_S)
        closed = await self.store.close_abandoned_group_runs(self.clock() - limit)
        if closed:
            log.info("closed %d group quiz runs left open by a stopped replica", closed)
        return closed

    async def prune(self) -> int:
        """Delete stored rows older than SCAMWISE_RETENTION_DAYS; return how many went.

        Only the replica holding the jobs' lock prunes; the others return 0 at once (their
        daily timer still fires, so whichever replica leads tomorrow prunes tomorrow).
        """
        if not self.runs_jobs:
            log.debug("retention: another replica runs the timed jobs")
            return 0
        removed = await self.store.prune(self.settings.retention_days, now=self.clock())
        if removed:
            log.info(
                "retention: deleted %d rows older than %d days",
                removed,
                self.settings.retention_days,
            )
        return removed

    async def reload(self) -> str:
        """Re-read knowledge and index; on any failure keep serving the old ones and say why."""
        try:
            retriever, quizzes = await asyncio.to_thread(
                open_content, self.settings, self.embedder
            )
            checker = await asyncio.to_thread(open_checker, self.settings, retriever)
        except Exception as exc:  # any failure: the old index keeps serving
            log.warning("reload failed, keeping the current index: %s", exc)
            return f"Reload failed, still serving the previous index: {exc}"
        old = self.searcher
        self.longest_group_run_s = longest_group_run_s(self.settings, quizzes)
        self.retriever = retriever
        self.searcher = _searcher(self.settings, retriever)
        self.conversation.replace_knowledge(retriever.kb, self.searcher.search, quizzes)
        old_checker, self.checker = self.checker, AsyncChecker(checker)
        self.conversation.checks = CheckFlow(
            self.checker.check, retriever.kb, checker.pattern_count
        )
        await old.aclose()
        if old_checker is not None:
            await old_checker.aclose()
        return f"Reloaded: {len(retriever.kb.entries)} entries, {len(quizzes)} quizzes."

    async def prune_logged(self) -> None:
        """`prune`, with a failure logged instead of raised (for timers and take-overs)."""
        try:
            await self.prune()
        except Exception:
            log.exception("retention: could not delete old rows; trying again tomorrow")

    async def aclose(self) -> None:
        """Stop the search and check workers, give up the jobs' lock and close the database."""
        if self.leadership is not None:
            await self.leadership.stop()
        await self.searcher.aclose()
        if self.checker is not None:
            await self.checker.aclose()
        if self.reader is not None:
            await asyncio.to_thread(self.reader.close)
        await self.store.close()


def _searcher(settings: Settings, retriever: Retriever) -> AsyncSearcher:
    return AsyncSearcher(
        retriever,
        settings.batch_max_size,
        settings.batch_max_wait_ms,
        workers=settings.search_worker_count,
    )


async def open_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    """Open store, knowledge, index and model, and build the conversation core."""
    retriever, quizzes = await asyncio.to_thread(open_content, settings, embedder)
    message_checker = await asyncio.to_thread(open_checker, settings, retriever)
    await asyncio.to_thread(_warm_up, retriever, message_checker)
    salt = settings.feedback_salt.get_secret_value() if settings.feedback_salt else None
    store = await Store.open(
        settings.database_url,
        create_empty=settings.database_create_empty,
        feedback_salt=salt,
    )
    searcher = _searcher(settings, retriever)
    config = ConversationConfig(
        threshold=retriever.config.decline_threshold,
        low_confidence_margin=settings.low_confidence_margin,
        flood_limit=settings.flood_limit,
        flood_window_s=settings.flood_window_s,
        retention_days=settings.retention_days,
    )
    engine = QuizEngine(quizzes, store)
    checker = AsyncChecker(message_checker)
    checks = CheckFlow(checker.check, retriever.kb, message_checker.pattern_count)
    load_catalogues()  # a broken catalogue stops the start, naming the file
    conversation = Conversation(
        retriever.kb,
        searcher.search,
        store,
        config,
        quizzes=engine,
        checks=checks,
        traditional=load_traditional(settings.knowledge_dir),
    )
    if settings.bot_username:
        conversation.bot_username = settings.bot_username
    reader = ScreenshotReader(int(settings.ocr_max_mb * 1_000_000), settings.ocr_timeout_s)
    services = Services(
        settings,
        retriever,
        searcher,
        store,
        conversation,
        embedder,
        checker=checker,
        reader=reader,
        leadership=Leadership(settings.database_url),
        longest_group_run_s=longest_group_run_s(settings, quizzes),
    )
    assert services.leadership is not None
    try:
        await services.leadership.start()  # first try now: the winner prunes at once
    except BaseException:
        await services.aclose()
        raise
    await services.prune()
    # A replica that takes over later prunes at once: the old leader may have died before
    # its daily run.
    services.leadership.on_gain = services.prune_logged
    services.leadership.on_round = services.close_abandoned_runs
    return services


def longest_group_run_s(settings: Settings, quizzes: dict[str, Quiz]) -> float:
    """Seconds the longest of these quizzes takes as a group quiz (one poll at a time)."""
    longest = max((len(quiz.questions) for quiz in quizzes.values()), default=0)
    return float(longest * settings.group_quiz_seconds)


async def prune_daily(
    services: Services, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
) -> None:
    """Apply retention every PRUNE_INTERVAL_S until cancelled (the console's timer).

    The Telegram adapter uses PTB's JobQueue for the same; a failure is logged and retried
    the next day, never raised into the chat.
    """
    while True:
        await sleep(PRUNE_INTERVAL_S)
        await services.prune_logged()


def _warm_up(retriever: Retriever, checker: MessageChecker) -> None:
    """Load the models, jieba and OpenCC, and run one query in each language and one check,
    so the first user does not wait."""
    retriever.search("is this job offer real")
    retriever.search("刷單返利是不是騙局")
    checker.check("Earn 500 a day, visit www.example.com or call +44 20 7946 0000")
