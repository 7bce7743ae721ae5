"""The `python -m bot` command line: core errors become one clear line and an exit code."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from bot.errors import ScamWiseError

EXIT_ERROR = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="ScamWise: answers questions about job, crypto and AI scams.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question and exit")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("-k", type=int, default=3, help="how many candidates to consider (>= 1)")
    ask.set_defaults(handler=_cmd_ask)
    check = sub.add_parser("check", help="check a message you received for red flags")
    check.add_argument("text", nargs="?", help="the message, in quotes")
    check.add_argument("--file", type=Path, help="read the message from this file instead")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=_cmd_check)
    chat = sub.add_parser("chat", help="the bot's conversation in the terminal")
    chat.set_defaults(handler=_cmd_chat)
    run = sub.add_parser(
        "run", help="run the Telegram bot if a token is set, otherwise the terminal chat"
    )
    run.set_defaults(handler=_cmd_run)
    unanswered = sub.add_parser(
        "unanswered", help="list the questions the bot declined or was unsure about"
    )
    unanswered.add_argument("--since", type=int, metavar="DAYS", help="only the last DAYS days")
    unanswered.add_argument("--limit", type=int, default=30, help="rows to show (default 30)")
    unanswered.set_defaults(handler=_cmd_unanswered)
    backup = sub.add_parser(
        "backup", help="copy the SQLite database to a backup file (safe while the bot runs)"
    )
    backup.add_argument(
        "--to", type=Path, metavar="FILE", help="default: <database folder>/backups/<time>"
    )
    backup.set_defaults(handler=_cmd_backup)
    copy = sub.add_parser(
        "migrate-db",
        help="copy every table of one database into another (e.g. SQLite into PostgreSQL)",
    )
    copy.add_argument("from_url", metavar="FROM_URL", help="e.g. sqlite+aiosqlite:///data/x")
    copy.add_argument("to_url", metavar="TO_URL", help="e.g. postgresql+asyncpg://u:p@host/db")
    copy.add_argument("--force", action="store_true", help="replace rows the target holds")
    copy.set_defaults(handler=_cmd_migrate_db)
    doctor = sub.add_parser("doctor", help="check settings, knowledge, index, model, database")
    doctor.set_defaults(handler=_cmd_doctor)
    health = sub.add_parser("health", help="exit 0 if the running bot's heartbeat is fresh")
    health.add_argument("--max-age", type=float, default=90.0, help="seconds (default 90)")
    health.set_defaults(handler=_cmd_health)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the command and translate core errors into messages."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ScamWiseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _cmd_ask(args: argparse.Namespace) -> int:
    """Answer one question from the knowledge base."""
    if args.k < 1:
        raise ScamWiseError(f"-k must be at least 1, got {args.k}")
    from bot.app import open_retriever
    from bot.knowledge.placeholders import values_from
    from bot.settings import load_settings

    settings = load_settings()
    retriever = open_retriever(settings)
    result = retriever.search(args.question, k=args.k)
    values = values_from(settings.retention_days)
    if args.json:
        print(json.dumps(ask_json(retriever, result, args.k, values), ensure_ascii=False))
    else:
        print(ask_text(retriever, result, values))
    return 0


def ask_json(
    retriever: Any, result: Any, k: int, values: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """The `ask --json` object for one search result (placeholders filled from `values`)."""
    from bot.knowledge.placeholders import fill

    best = result.best
    entry = retriever.kb.get(best.entry_id) if best is not None else None
    alternatives = result.hits[1:k] if best is not None else result.hits[:k]
    return {
        "query": result.query,
        "id": entry.id if entry else None,
        "score": result.top_score,
        "title": entry.title if entry else None,
        "answer": fill(entry.answer, values or {}) if entry else None,
        "alternatives": [{"id": h.entry_id, "score": h.score} for h in alternatives],
        "declined": best is None,
    }


def ask_text(retriever: Any, result: Any, values: Mapping[str, object] | None = None) -> str:
    """The plain-text reply for one search result (placeholders filled from `values`)."""
    from bot.answers import compose, render_plain
    from bot.conversation.texts import decline_text

    best = result.best
    if best is None:
        return decline_text(result.status)
    text = render_plain(compose(retriever.kb.get(best.entry_id), retriever.kb, values))
    if len(result.choices) > 1:
        other = retriever.kb.get(result.choices[1].entry_id)
        text += f"\n\n(Did you mean: {other.title}?)"
    return text


def _cmd_check(args: argparse.Namespace) -> int:
    """Check one message (argument or file) and print the verdict."""
    if (args.text is None) == (args.file is None):
        raise ScamWiseError("give the message as TEXT or with --file F (one of the two)")
    if args.file is not None:
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScamWiseError(f"cannot read {args.file}: {exc}") from exc
    else:
        text = args.text
    from bot.app import open_checker, open_retriever
    from bot.checking.report import check_json
    from bot.conversation.check_flow import check_reply
    from bot.settings import load_settings

    settings = load_settings()
    checker = open_checker(settings, open_retriever(settings))
    result = checker.check(text)
    if args.json:
        print(json.dumps(check_json(result), ensure_ascii=False))
    else:
        print(check_reply(result, checker.kb).plain_text())
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    """The bot's conversation in the terminal."""
    from bot.settings import load_settings

    return console_chat(load_settings())


def _cmd_run(args: argparse.Namespace) -> int:
    """Telegram when a token is configured, otherwise the terminal chat."""
    from bot.settings import load_settings

    settings = load_settings()
    if settings.bot_token() is None:
        print(CONNECT_HINT)
        return console_chat(settings)
    from bot.telegram.runner import run_telegram

    run_telegram(settings)
    return 0


CONNECT_HINT = (
    "No TELEGRAM_BOT_TOKEN set: starting the chat in this terminal. To run it on Telegram, "
    "create a bot with @BotFather and put its token in .env (see README)."
)


GOODBYE = "Bye! Stay safe, and come back whenever a message looks odd."


def console_chat(settings: Any) -> int:
    """The terminal chat; Ctrl-C quits at once with a goodbye and exit code 0."""
    from bot.terminal import bracketed_paste, own_foreground

    with own_foreground(), bracketed_paste():
        try:
            return asyncio.run(_console(settings))
        except KeyboardInterrupt:
            print(f"\n{GOODBYE}")
            return 0


async def _console(settings: Any) -> int:
    from bot.app import open_services, prune_daily
    from bot.console import ConsoleChat, run_console
    from bot.terminal import read_line

    services = await open_services(settings)
    pruning = asyncio.create_task(prune_daily(services))
    try:
        print(
            "ScamWise: ask me about fake jobs, crypto or AI scams. /help for more, quit to leave."
        )
        await run_console(ConsoleChat(services.conversation), read_line, print)
    finally:
        pruning.cancel()
        await services.aclose()
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    """Copy the database with SQLite's online backup API."""
    from bot.settings import load_settings
    from bot.storage.backup import backup_database

    target = backup_database(load_settings().database_url, args.to)
    print(f"backup written to {target} ({target.stat().st_size} bytes, quick_check ok)")
    return 0


def _cmd_migrate_db(args: argparse.Namespace) -> int:
    """Copy a database into another one (stop the bot first)."""
    from bot.storage.copy import copy_database
    from bot.storage.store import mask_url

    copied = asyncio.run(copy_database(args.from_url, args.to_url, force=args.force))
    for name, rows in copied.items():
        print(f"{name:<20} {rows:>9} rows")
    total = sum(copied.values())
    print(f"copied {total} rows from {mask_url(args.from_url)} to {mask_url(args.to_url)}")
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    """Check everything the bot needs and say how to fix what is wrong."""
    from bot.doctor import run_doctor

    return run_doctor()


def _cmd_health(args: argparse.Namespace) -> int:
    """The container healthcheck: is the heartbeat file recent?"""
    from bot.health import age_seconds
    from bot.settings import load_settings

    path = load_settings().heartbeat_file
    age = age_seconds(path)
    if age is None or age > args.max_age:
        seen = "no heartbeat" if age is None else f"last heartbeat {age:.0f} s ago"
        print(f"unhealthy: {seen} at {path}", file=sys.stderr)
        return EXIT_ERROR
    print(f"healthy: heartbeat {age:.0f} s ago")
    return 0


def _cmd_unanswered(args: argparse.Namespace) -> int:
    """Print the most frequent declined or low-confidence questions."""
    from bot.settings import load_settings
    from bot.storage.cli import format_unanswered
    from bot.storage.store import Store

    async def fetch() -> str:
        settings = load_settings()
        store = await Store.open(
            settings.database_url, create_empty=settings.database_create_empty
        )
        try:
            return format_unanswered(await store.top_unanswered(args.since, args.limit))
        finally:
            await store.close()

    print(asyncio.run(fetch()))
    return 0
