"""The `python -m bot` command line: core errors become one clear line and an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
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
    chat = sub.add_parser("chat", help="ask questions in the terminal until you type 'quit'")
    chat.set_defaults(handler=_cmd_chat)
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
    from bot.settings import load_settings

    retriever = open_retriever(load_settings())
    result = retriever.search(args.question, k=args.k)
    if args.json:
        print(json.dumps(ask_json(retriever, result, args.k), ensure_ascii=False))
    else:
        print(ask_text(retriever, result))
    return 0


def ask_json(retriever: Any, result: Any, k: int) -> dict[str, Any]:
    """The `ask --json` object for one search result."""
    best = result.best
    entry = retriever.kb.get(best.entry_id) if best is not None else None
    alternatives = result.hits[1:k] if best is not None else result.hits[:k]
    return {
        "query": result.query,
        "id": entry.id if entry else None,
        "score": result.top_score,
        "title": entry.title if entry else None,
        "answer": entry.answer if entry else None,
        "alternatives": [{"id": h.entry_id, "score": h.score} for h in alternatives],
        "declined": best is None,
    }


def ask_text(retriever: Any, result: Any) -> str:
    """The plain-text reply for one search result."""
    from bot.answers import compose, render_plain
    from bot.replies import decline_text

    best = result.best
    if best is None:
        return decline_text(result.status)
    text = render_plain(compose(retriever.kb.get(best.entry_id), retriever.kb))
    if len(result.choices) > 1:
        other = retriever.kb.get(result.choices[1].entry_id)
        text += f"\n\n(Did you mean: {other.title}?)"
    return text


def _cmd_chat(args: argparse.Namespace) -> int:
    """Interactive question prompt in the terminal."""
    from bot.app import open_retriever
    from bot.settings import load_settings

    retriever = open_retriever(load_settings())
    print("ScamWise: ask me about fake jobs, crypto or AI scams. Type 'quit' to leave.")
    chat_loop(lambda q: ask_text(retriever, retriever.search(q)), input, print)
    return 0


def chat_loop(
    reply: Callable[[str], str], read: Callable[[str], str], write: Callable[[str], Any]
) -> None:
    """Read lines until 'quit' or end of input, writing the reply to each."""
    while True:
        try:
            line = read("> ")
        except EOFError:
            write("")
            return
        if line.strip().lower() in {"quit", "exit", "/quit"}:
            return
        write(reply(line))
        write("")
