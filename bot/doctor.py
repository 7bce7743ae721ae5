"""`python -m bot doctor`: check settings, knowledge, index, model, database and token.

Each check says what is wrong and how to fix it; the exit code is non-zero if any failed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import ScamWiseError
from bot.settings import Settings

TOKEN_FORMAT = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,64}$")


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """One printable line (two when there is a fix)."""
        mark = "ok  " if self.ok else "FAIL"
        text = f"[{mark}] {self.name}: {self.detail}"
        return f"{text}\n       fix: {self.fix}" if self.fix and not self.ok else text


def check_knowledge(settings: Settings) -> Check:
    """The knowledge and quiz files validate."""
    from bot.knowledge.loader import load_knowledge

    try:
        kb = load_knowledge(settings.knowledge_dir)
        quizzes = _quiz_count(settings, kb)
    except ScamWiseError as exc:
        return Check("knowledge", False, str(exc), "edit the files named above")
    return Check("knowledge", True, f"{len(kb.entries)} entries, {quizzes} quizzes valid")


def _quiz_count(settings: Settings, kb: object) -> int:
    try:
        from bot.quizzes.loader import load_quizzes
    except ImportError:
        return 0
    return len(load_quizzes(settings.knowledge_dir / "quizzes", kb))  # type: ignore[arg-type]


def check_index(settings: Settings) -> Check:
    """The index is present, readable, built from this knowledge and this model."""
    from bot.knowledge.loader import content_hash, load_knowledge
    from bot.search.index import REBUILD, check_fresh, load_index

    fix = REBUILD.removesuffix(" to rebuild it")
    try:
        kb = load_knowledge(settings.knowledge_dir)
        index, meta = load_index(settings.index_path)
        check_fresh(
            meta,
            model=settings.model,
            content_hash=content_hash(kb),
            where=settings.index_path,
        )
    except ScamWiseError as exc:
        return Check("index", False, str(exc).splitlines()[0], fix)
    return Check("index", True, f"{len(index)} vectors, built {meta.built_at}, fresh")


def check_model(settings: Settings) -> Check:
    """The embedding model (the index's encoder file, if it has one) embeds a sentence."""
    from bot.search.embedder import make_embedder
    from bot.search.index import encoder_path, read_meta

    try:
        onnx_file = encoder_path(settings.index_path, read_meta(settings.index_path))
    except ScamWiseError:
        onnx_file = None  # the index check reports it
    try:
        embedder = make_embedder(settings.model, onnx_file, threads=1)
        vectors = embedder.embed(["is this job offer real?"])
    except Exception as exc:  # any loader failure is reported, not raised
        return Check(
            "model", False, f"{settings.model}: {exc}", "set SCAMWISE_MODEL to a local model"
        )
    runtime = f"ONNX Runtime, {onnx_file.name}" if onnx_file else "sentence-transformers"
    return Check(
        "model",
        True,
        f"{settings.model} ({runtime}) gives {vectors.shape[1]}-dimensional vectors",
    )


def check_database(settings: Settings) -> Check:
    """The database passes SQLite's quick_check, opens, migrates and accepts writes."""
    from bot.storage.store import Store

    async def probe() -> int:
        store = await Store.open(
            settings.database_url, create_empty=settings.database_create_empty
        )
        try:
            return await store.schema_version()
        finally:
            await store.close()

    try:
        version = asyncio.run(probe())
    except ScamWiseError as exc:
        fix = "fix SCAMWISE_DATABASE_URL or the file's rights"
        if "backup" in str(exc):
            fix = "restore the latest backup (README: Backups), or move the file aside"
        return Check("database", False, str(exc), fix)
    checked = ", quick_check ok" if settings.database_url.startswith("sqlite") else ""
    return Check("database", True, f"schema version {version}{checked}")


def check_telegram(settings: Settings) -> Check:
    """The token looks like a BotFather token; webhook settings are complete."""
    try:
        token = settings.bot_token()
    except ScamWiseError as exc:
        return Check("telegram", False, str(exc), "fix TELEGRAM_BOT_TOKEN_FILE")
    if token is None:
        return Check("telegram", True, "no token: `make run` starts the terminal chat")
    if not TOKEN_FORMAT.match(token):
        return Check(
            "telegram", False, "the token does not look like <digits>:<35 characters>",
            "copy the token again from @BotFather into TELEGRAM_BOT_TOKEN",
        )  # fmt: skip
    if settings.webhook_url and settings.webhook_secret is None:
        return Check(
            "telegram", False, "webhook mode needs SCAMWISE_WEBHOOK_SECRET",
            "set SCAMWISE_WEBHOOK_SECRET to 1-256 characters of A-Z, a-z, 0-9, _ and -",
        )  # fmt: skip
    mode = f"webhook at {settings.webhook_url}" if settings.webhook_url else "long polling"
    return Check("telegram", True, f"token format ok, {mode}")


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_knowledge,
    check_index,
    check_model,
    check_database,
    check_telegram,
)


def run_doctor(write: Callable[[str], object] = print) -> int:
    """Run every check, print the results, return 0 when all passed."""
    from bot.settings import load_settings

    try:
        settings = load_settings()
    except ScamWiseError as exc:
        write(Check("settings", False, str(exc), "fix the variables named above").line())
        return 1
    write(Check("settings", True, "all variables valid").line())
    results = [check(settings) for check in CHECKS]
    for result in results:
        write(result.line())
    return 0 if all(r.ok for r in results) else 1
