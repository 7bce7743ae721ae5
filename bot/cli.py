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
from bot.i18n import N_

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
    ask.add_argument("--lang", type=_language, help=LANG_HELP)
    ask.set_defaults(handler=_cmd_ask)
    check = sub.add_parser("check", help="check a message you received for red flags")
    check.add_argument("text", nargs="?", help="the message, in quotes")
    check.add_argument("--file", type=Path, help="read the message from this file instead")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(handler=_cmd_check)
    chat = sub.add_parser("chat", help="the bot's conversation in the terminal")
    chat.add_argument("--lang", type=_language, help=LANG_HELP)
    chat.set_defaults(handler=_cmd_chat)
    run = sub.add_parser(
        "run", help="run the Telegram bot if a token is set, otherwise the terminal chat"
    )
    run.add_argument("--lang", type=_language, help=LANG_HELP + " (terminal chat only)")
    run.set_defaults(handler=_cmd_run)
    i18n = sub.add_parser("i18n", help="check or update the message catalogues (translations)")
    i18n.add_argument("action", choices=("check", "update"), help="check: fail on gaps")
    i18n.set_defaults(handler=_cmd_i18n)
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


LANG_HELP = (
    "the language the terminal chat assumes, as Telegram's language_code would: en, zh, "
    "zh-hans, zh-cn, zh-hk, zh-tw, zh-hant (a message's own language still comes first)"
)


def _language(value: str) -> str:
    """A --lang value: a language_code the bot understands (checked, kept as given)."""
    from bot.i18n.choose import from_language_code

    if from_language_code(value) is None:
        raise argparse.ArgumentTypeError(
            f"unknown language {value!r}: use en, zh, zh-hans, zh-cn, zh-hk, zh-tw or zh-hant"
        )
    return value.lower()


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
    from bot.i18n import speaking
    from bot.i18n.choose import EN, from_language_code, written_language
    from bot.knowledge.placeholders import values_from
    from bot.settings import load_settings

    settings = load_settings()
    retriever = open_retriever(settings)
    result = retriever.search(args.question, k=args.k)
    values = values_from(settings.retention_days)
    lang = written_language(args.question) or from_language_code(args.lang) or EN
    with speaking(lang):
        if args.json:
            print(json.dumps(ask_json(retriever, result, args.k, values), ensure_ascii=False))
        else:
            print(traditional_for(lang, args.lang)(ask_text(retriever, result, values)))
    return 0


def traditional_for(lang: str, language_code: str | None) -> Callable[[str], str]:
    """The text as a zh-Hant reader gets it (Traditional for their variant), else unchanged."""
    if lang != "zh-Hant":
        return lambda text: text
    from bot.i18n.hant import load_traditional, variant_for
    from bot.settings import load_settings

    traditional = load_traditional(load_settings().knowledge_dir)
    variant = variant_for(None, language_code)
    return lambda text: traditional.convert(text, variant)


def ask_json(
    retriever: Any, result: Any, k: int, values: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """The `ask --json` object for one search result (placeholders filled from `values`), in
    the language being spoken (bot.i18n; Simplified for zh-Hant: JSON is for programs)."""
    from bot.i18n import current_language
    from bot.knowledge.localize import content_language, entry_text
    from bot.knowledge.placeholders import fill

    best = result.best
    entry = retriever.kb.get(best.entry_id) if best is not None else None
    text = entry_text(entry, current_language()) if entry else None
    alternatives = result.hits[1:k] if best is not None else result.hits[:k]
    return {
        "query": result.query,
        "id": entry.id if entry else None,
        "score": result.top_score,
        "language": content_language(current_language()),
        "title": text.title if text else None,
        "answer": fill(text.answer, values or {}) if text else None,
        "alternatives": [{"id": h.entry_id, "score": h.score} for h in alternatives],
        "declined": best is None,
    }


def ask_text(retriever: Any, result: Any, values: Mapping[str, object] | None = None) -> str:
    """The plain-text reply for one search result (placeholders filled from `values`)."""
    from bot.answers import compose, render_plain
    from bot.conversation.texts import decline_text
    from bot.i18n import _, current_language
    from bot.knowledge.localize import entry_text

    best = result.best
    if best is None:
        return decline_text(result.status)
    text = render_plain(compose(retriever.kb.get(best.entry_id), retriever.kb, values))
    if len(result.choices) > 1:
        other = entry_text(retriever.kb.get(result.choices[1].entry_id), current_language())
        text += "\n\n" + _("(Did you mean: {title}?)").format(title=other.title)
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

    return console_chat(load_settings(), args.lang)


def _cmd_run(args: argparse.Namespace) -> int:
    """Telegram when a token is configured, otherwise the terminal chat."""
    from bot.settings import load_settings

    settings = load_settings()
    if settings.bot_token() is None:
        print(CONNECT_HINT)
        return console_chat(settings, args.lang)
    from bot.telegram.runner import run_telegram

    run_telegram(settings)
    return 0


CONNECT_HINT = (
    "No TELEGRAM_BOT_TOKEN set: starting the chat in this terminal. To run it on Telegram, "
    "create a bot with @BotFather and put its token in .env (see README)."
)


GOODBYE = N_("Bye! Stay safe, and come back whenever a message looks odd.")


GREETING = N_(
    "ScamWise: ask me about fake jobs, crypto or AI scams. /help for more, quit to leave."
)


def console_chat(settings: Any, lang: str | None = None) -> int:
    """The terminal chat; Ctrl-C quits at once with a goodbye and exit code 0."""
    from bot.i18n import _, speaking
    from bot.i18n.choose import EN, from_language_code
    from bot.terminal import bracketed_paste, own_foreground

    with own_foreground(), bracketed_paste():
        try:
            return asyncio.run(_console(settings, lang))
        except KeyboardInterrupt:
            with speaking(from_language_code(lang) or EN):
                print(f"\n{_(GOODBYE)}")
            return 0


async def _console(settings: Any, lang: str | None = None) -> int:
    from dataclasses import replace

    from bot.app import open_services, prune_daily
    from bot.console import CONSOLE_USER, ConsoleChat, run_console
    from bot.conversation.markup import plain
    from bot.conversation.replies import Reply
    from bot.i18n import _
    from bot.terminal import read_line

    services = await open_services(settings)
    pruning = asyncio.create_task(prune_daily(services))
    who = replace(CONSOLE_USER, language_code=lang or "")
    try:
        [greeting] = await services.conversation.say(who, lambda: [Reply((plain(_(GREETING)),))])
        print(greeting.plain_text())
        await run_console(ConsoleChat(services.conversation, who), read_line, print)
    finally:
        pruning.cancel()
        await services.aclose()
    return 0


def _cmd_i18n(args: argparse.Namespace) -> int:
    """Check the catalogues against the code (exit 1 on any gap), or update them."""
    from bot.i18n.check import check_all, update_all

    if args.action == "update":
        for line in update_all():
            print(line)
        return 0
    problems = check_all()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the message catalogues", file=sys.stderr)
        return EXIT_ERROR
    from bot.i18n.check import extract

    print(f"message catalogues ok: {len(extract())} texts, each translated")
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
