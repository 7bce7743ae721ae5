"""Fail over on loopback: one PostgreSQL, two webhook replicas behind a proxy, a fake Telegram.

    python scripts/failover.py [--users 100] [--groups 4] [--kill-after 0.3] [--time-limit 420]

Everything runs on this machine: a throwaway PostgreSQL (tests/pg_server.py), two real bot
processes (`python -m bot run` in webhook mode, the real model, index and knowledge), Debian's
nginx in front of them (or a small forwarding proxy when nginx is absent: the output says
which), and a fake Telegram (scripts/failover_parts.py) that serves the Bot API to both
replicas and delivers webhook updates, again after a failure, as Telegram does.

`--users` users each take the starter quiz in a private chat, and `--groups` groups of them run
a group quiz (polls, votes, leaderboard). Once `--kill-after` of the private quiz updates are
delivered, the replica holding the timed jobs is killed with SIGKILL and started again. Counted
at the end, from the database and the Bot API calls: quiz answers lost or stored twice, poll
votes not counted, replies missing, updates given up, and how many seconds passed from the kill
until another replica took the timed jobs (the PostgreSQL advisory lock). Also what PostgreSQL
did per handled update (transactions, rows read and written, from pg_stat_database).

It prints one line per figure (or JSON with --json) and exits 0 when nothing was lost,
duplicated or missing, 1 otherwise. Each phase has a deadline inside --time-limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from failover_parts import ApiCall, FakeTelegram, Proxy, free_port  # noqa: E402
from pg_server import PostgresServer, find_bindir  # noqa: E402

from bot.telegram.offline import TOKEN, callback_update, private_update  # noqa: E402

SECRET = "failover-secret-token"
QUIZ = "starter"
REPLY_TIMEOUT_S = 45.0
GROUP_QUIZ_SECONDS = 5


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(f"[failover {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- replicas -----------------------------------------------------------------------------------


@dataclass
class Replica:
    """One bot process in webhook mode."""

    name: str
    port: int
    env: dict[str, str]
    folder: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        out = (self.folder / f"{self.name}.log").open("ab")
        env = {**self.env, "SCAMWISE_WEBHOOK_PORT": str(self.port),
               "SCAMWISE_HEARTBEAT_FILE": str(self.folder / f"{self.name}.heartbeat")}  # fmt: skip
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def log_text(self) -> str:
        return (self.folder / f"{self.name}.log").read_text(encoding="utf-8", errors="replace")

    async def healthy(self, timeout: float) -> None:
        """Wait until /healthz answers 200."""
        import httpx

        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    got = await client.get(f"http://127.0.0.1:{self.port}/healthz")
                    if got.status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise RuntimeError(f"{self.name} not healthy after {timeout:.0f} s")


def replica_env(api_url: str, database_url: str, folder: Path, index_dir: Path) -> dict[str, str]:
    """The environment of every replica: only our ScamWise and Telegram variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCAMWISE_", "TELEGRAM_"))}
    env.update(
        PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
        TELEGRAM_BOT_TOKEN=TOKEN,
        SCAMWISE_TELEGRAM_API_URL=api_url,
        SCAMWISE_WEBHOOK_URL="https://scamwise.invalid/telegram",
        SCAMWISE_WEBHOOK_LISTEN="127.0.0.1",
        SCAMWISE_WEBHOOK_SECRET=SECRET,
        SCAMWISE_DATABASE_URL=database_url,
        SCAMWISE_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        SCAMWISE_INDEX_DIR=str(index_dir),
        SCAMWISE_FLOOD_LIMIT="100000",
        SCAMWISE_GROUP_QUIZ_SECONDS=str(GROUP_QUIZ_SECONDS),
        SCAMWISE_LOG_LEVEL="INFO",
    )  # fmt: skip
    return env


# --- users --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the users saw."""

    private_updates: int = 0
    missing_replies: list[str] = field(default_factory=list)
    finished_users: int = 0
    pressed: dict[int, list[int]] = field(default_factory=dict)  # user -> options chosen
    votes_sent: int = 0
    group_leaderboards: int = 0
    polls_seen: int = 0


class Ids:
    """Update ids, unique across all users (Telegram's are per bot)."""

    def __init__(self) -> None:
        self._next = itertools.count(1)

    def __call__(self) -> int:
        return next(self._next)


def _is_reply(chat_id: int, methods: tuple[str, ...], prefix: str) -> Any:
    def match(call: ApiCall) -> bool:
        if call.method not in methods or call.chat_id != chat_id:
            return False
        return not prefix or any(b.startswith(prefix) for b in call.buttons())

    return match


def _answered(query_id: str) -> Any:
    def match(call: ApiCall) -> bool:
        return call.method == "answerCallbackQuery" and call.params.get("callback_query_id") == (
            query_id
        )

    return match


async def private_user(
    tg: FakeTelegram, uid: int, ids: Ids, tally: Tally, n_questions: int, seed: int
) -> None:
    """One user takes the quiz: /start quiz-<id>, then answer and Next for every question."""
    rng = random.Random(seed)
    chosen: list[int] = []
    tally.pressed[uid] = chosen
    start = len(tg.calls)
    tally.private_updates += 1
    await tg.deliver(private_update(ids(), uid, f"/start quiz-{QUIZ}"))
    shown = await tg.wait_for(_is_reply(uid, ("sendMessage",), "qa:"), start, REPLY_TIMEOUT_S)
    if shown is None:
        tally.missing_replies.append(f"user {uid}: first question")
        return
    message_id = int(shown.result["message_id"])
    for q in range(n_questions):
        options = [b for b in shown.buttons() if b.startswith("qa:")]
        option = rng.randrange(len(options))
        verdict = await press(tg, uid, ids, message_id, options[option], "qn:", tally)
        if verdict is None:
            tally.missing_replies.append(f"user {uid}: verdict {q + 1}")
            return
        chosen.append(option)
        (next_data,) = [b for b in verdict.buttons() if b.startswith("qn:")]
        wanted = "qa:" if q + 1 < n_questions else ""
        following = await press(tg, uid, ids, message_id, next_data, wanted, tally)
        if following is None:
            tally.missing_replies.append(f"user {uid}: after Next {q + 1}")
            return
        shown = following
    tally.finished_users += 1


async def press(
    tg: FakeTelegram, uid: int, ids: Ids, message_id: int, data: str, prefix: str, tally: Tally
) -> ApiCall | None:
    """Press a button; wait for the query's answer and the edit that follows it."""
    update_id = ids()
    start = len(tg.calls)
    tally.private_updates += 1
    await tg.deliver(callback_update(update_id, uid, message_id, data, f"cq{update_id}"))
    answered = await tg.wait_for(_answered(f"cq{update_id}"), start, REPLY_TIMEOUT_S)
    if answered is None:
        return None
    return await tg.wait_for(_is_reply(uid, ("editMessageText",), prefix), start, REPLY_TIMEOUT_S)


def group_message(update_id: int, chat_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A command sent in a supergroup."""
    length = len(text.split(" ", 1)[0])
    message = {
        "message_id": update_id,
        "from": {"id": user_id, "is_bot": False, "first_name": f"Member{user_id}"},
        "chat": {"id": chat_id, "type": "supergroup", "title": "Class chat"},
        "date": int(time.time()),
        "text": text,
        "entities": [{"type": "bot_command", "offset": 0, "length": length}],
    }
    return {"update_id": update_id, "message": message}


def poll_answer(update_id: int, poll_id: str, user_id: int, option: int) -> dict[str, Any]:
    """A member's vote in a quiz poll (Bot API 9.6: with the option's persistent id)."""
    answer = {
        "poll_id": poll_id,
        "user": {"id": user_id, "is_bot": False, "first_name": f"Member{user_id}"},
        "option_ids": [option],
        "option_persistent_ids": [f"{poll_id}-{option}"],
    }
    return {"update_id": update_id, "poll_answer": answer}


async def group_quiz(
    tg: FakeTelegram, chat_id: int, members: list[int], ids: Ids, tally: Tally, deadline: float
) -> None:
    """A group runs the quiz: every member votes in every poll; the leaderboard must come."""
    start = len(tg.calls)
    await tg.deliver(group_message(ids(), chat_id, members[0], f"/quiz {QUIZ}"))
    seen = start
    votes: list[asyncio.Task[bool]] = []
    while time.monotonic() < deadline:
        call = await tg.wait_for(
            lambda c: c.chat_id == chat_id and c.method in ("sendPoll", "sendMessage"),
            seen, max(0.1, deadline - time.monotonic()),
        )  # fmt: skip
        if call is None:
            break
        seen = tg.calls.index(call) + 1
        if call.method == "sendPoll":
            tally.polls_seen += 1
            poll = call.result["poll"]
            for member in members:
                option = random.randrange(len(poll["options"]))
                votes.append(asyncio.create_task(vote(tg, ids, poll["id"], member, option, tally)))
        elif "🏆" in str(call.params.get("text", "")):  # the leaderboard's title
            tally.group_leaderboards += 1
            break
    await asyncio.gather(*votes)


async def vote(tg: FakeTelegram, ids: Ids, poll_id: str, member: int, option: int,
               tally: Tally) -> bool:  # fmt: skip
    """Vote a moment after the poll appears, well inside its open period."""
    await asyncio.sleep(random.uniform(0.1, GROUP_QUIZ_SECONDS * 0.5))
    tally.votes_sent += 1
    return await tg.deliver(poll_answer(ids(), poll_id, member, option))


# --- what the database says ---------------------------------------------------------------------


async def sql(url: str, query: str) -> list[tuple[Any, ...]]:
    """Rows of one query, on a connection of its own."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [tuple(r) for r in await conn.fetch(query)]
    finally:
        await conn.close()


async def advisory_holder(url: str) -> int | None:
    """The server pid of the session holding an advisory lock (the timed-jobs leader), or None."""
    rows = await sql(url, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted")
    return int(rows[0][0]) if rows else None


async def takeover_seconds(url: str, before: int | None, killed_at: float, limit: float) -> float:
    """Seconds from the kill until another session holds the advisory lock (-1: never)."""
    while time.monotonic() - killed_at < limit:
        holder = await advisory_holder(url)
        if holder is not None and holder != before:
            return round(time.monotonic() - killed_at, 1)
        await asyncio.sleep(0.5)
    return -1.0


async def stats(url: str) -> dict[str, int]:
    """pg_stat_database counters of the bot's database."""
    (row,) = await sql(
        url,
        "SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, "
        "tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()",
    )
    names = ("commits", "rollbacks", "returned", "fetched", "inserted", "updated", "deleted")
    return dict(zip(names, (int(v) for v in row), strict=True))


async def answers_check(url: str, tally: Tally) -> dict[str, int]:
    """Quiz answers lost (pressed, acknowledged, not stored) or stored twice, from the rows."""
    rows = await sql(
        url,
        "SELECT t.user_id, t.id, a.question_index, a.option FROM quiz_attempts t "
        "JOIN quiz_answers a ON a.attempt_id = t.id WHERE t.quiz_id = 'starter'",
    )
    stored: dict[int, list[tuple[int, int, int]]] = {}
    for user_id, attempt, question, option in rows:
        stored.setdefault(int(user_id), []).append((int(attempt), int(question), int(option)))
    lost = duplicated = wrong = 0
    for uid, chosen in tally.pressed.items():
        got = stored.get(uid, [])
        attempts = {a for a, _, _ in got}
        duplicated += max(0, len(attempts) - 1) + max(0, len(got) - len(set(got)))
        by_question = {q: o for _, q, o in got}
        lost += sum(1 for q in range(len(chosen)) if q not in by_question)
        wrong += sum(1 for q, o in enumerate(chosen) if by_question.get(q, o) != o)
    return {"answers_pressed": sum(len(c) for c in tally.pressed.values()),
            "answers_stored": len(rows), "answers_lost": lost,
            "answers_duplicated": duplicated, "answers_wrong": wrong}  # fmt: skip


async def votes_check(url: str, tally: Tally) -> dict[str, int]:
    """Poll votes sent against votes stored."""
    ((stored,),) = await sql(url, "SELECT count(*) FROM group_quiz_votes")
    ((polls,),) = await sql(url, "SELECT count(*) FROM group_quiz_polls")
    ((waiting,),) = await sql(url, "SELECT count(*) FROM group_quiz_pending_votes")
    return {"votes_sent": tally.votes_sent, "votes_counted": int(stored),
            "votes_lost": tally.votes_sent - int(stored), "votes_waiting": int(waiting),
            "polls_posted": tally.polls_seen, "polls_stored": int(polls)}  # fmt: skip


# --- the run ------------------------------------------------------------------------------------


def ensure_index() -> Path:
    """The configured index, built first if it is missing or stale (as `make run` does)."""
    from bot.settings import load_settings

    subprocess.run(
        [sys.executable, "scripts/build_index.py", "--if-stale"], cwd=ROOT, check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
        stdout=sys.stderr,  # stdout carries only the figures
    )  # fmt: skip
    return (ROOT / load_settings().index_path).resolve()


async def run(args: argparse.Namespace, work: Path, pg: PostgresServer) -> dict[str, Any]:
    """Start everything, drive the users, kill and restart the leader, and count."""
    started = time.monotonic()
    deadline = started + args.time_limit
    url = pg.create_database("scamwise")
    index_dir = ensure_index()
    tg = FakeTelegram(TOKEN, SECRET)
    ports = [free_port(), free_port()]
    proxy = Proxy(work / "proxy", ports)
    await proxy.start()
    await tg.start(f"{proxy.url}/telegram")
    env = replica_env(tg.api_url, url, work, index_dir)
    replicas = [Replica(name, port, env, work) for name, port in zip("ab", ports, strict=True)]
    figures: dict[str, Any] = {"proxy": proxy.kind}
    try:
        replicas[0].start()
        await replicas[0].healthy(120)
        first_leader = await advisory_holder(url)  # a started first, so a holds the jobs
        replicas[1].start()
        await replicas[1].healthy(120)
        log(f"replicas up ({time.monotonic() - started:.0f} s); proxy: {proxy.kind}")
        before = await stats(url)
        ids, tally = Ids(), Tally()
        n_questions = 10
        users = list(range(10_001, 10_001 + args.users))
        flows = [
            asyncio.create_task(private_user(tg, uid, ids, tally, n_questions, uid))
            for uid in users
        ]
        size = max(1, len(users) // max(1, args.groups))
        groups = [
            asyncio.create_task(
                group_quiz(tg, -1_000_000 - g, users[g * size:(g + 1) * size], ids, tally,
                           deadline - 30)
            )
            for g in range(args.groups)
        ]  # fmt: skip
        expected = args.users * (1 + 2 * n_questions)
        while tally.private_updates < args.kill_after * expected:
            if time.monotonic() > deadline - 60:
                raise RuntimeError("the users did not get far enough before the deadline")
            await asyncio.sleep(0.05)
        holder = await advisory_holder(url)
        replicas[0].kill()
        killed_at = time.monotonic()
        log(f"killed replica a after {tally.private_updates} private updates")
        takeover = asyncio.create_task(takeover_seconds(url, holder, killed_at, 90.0))
        await asyncio.sleep(args.down_s)
        replicas[0].start()
        await replicas[0].healthy(120)
        log("replica a is back")
        left = max(1.0, deadline - 30 - time.monotonic())
        _, pending = await asyncio.wait([*flows, *groups], timeout=left)
        for task in pending:  # users still waiting at the deadline: their replies are missing
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            tally.missing_replies.append(f"{len(pending)} flows unfinished at the deadline")
        after = await stats(url)
        figures.update(
            users=args.users, groups=args.groups, finished_users=tally.finished_users,
            replies_missing=len(tally.missing_replies), missing=tally.missing_replies[:10],
            updates_given_up=tg.delivery.given_up, updates_delivered=tg.delivery.updates,
            redelivered=tg.delivery.redelivered, statuses=tg.delivery.statuses,
            leaderboards=tally.group_leaderboards,
            jobs_leader_before_kill=first_leader is not None,
            takeover_s=(await takeover) if first_leader is not None else None,
        )  # fmt: skip
        figures.update(await answers_check(url, tally))
        figures.update(await votes_check(url, tally))
        handled = max(1, tg.delivery.updates)
        figures["per_update"] = {k: round((after[k] - before[k]) / handled, 2) for k in after}
        figures["bot_api_calls_per_update"] = round(len(tg.calls) / handled, 2)
        figures["tracebacks"] = sum(r.log_text().count("Traceback") for r in replicas)
    finally:
        for replica in replicas:
            replica.stop()
        if args.keep_logs:
            for replica in replicas:
                (args.keep_logs / f"{replica.name}.log").write_text(replica.log_text())
            calls = [{"method": c.method, "at": round(c.at - started, 2), **c.params}
                     for c in tg.calls]  # fmt: skip
            (args.keep_logs / "calls.json").write_text(json.dumps(calls, ensure_ascii=False))
        await tg.stop()
        await proxy.stop()
    figures["seconds"] = round(time.monotonic() - started, 1)
    return figures


def passed(figures: dict[str, Any]) -> bool:
    """Nothing lost, duplicated, missing or given up; every group quiz finished."""
    zero = ("replies_missing", "updates_given_up", "answers_lost", "answers_duplicated",
            "answers_wrong", "votes_lost", "tracebacks")  # fmt: skip
    ok = all(figures.get(k) == 0 for k in zero)
    ok = ok and figures.get("leaderboards") == figures.get("groups")
    takeover = figures.get("takeover_s")
    return ok and (takeover is None or 0 <= takeover <= 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument(
        "--kill-after",
        type=float,
        default=0.3,
        help="share of the private quiz updates delivered before the kill",
    )
    parser.add_argument("--down-s", type=float, default=3.0, help="seconds the replica is down")
    parser.add_argument("--time-limit", type=float, default=420.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep-logs", type=Path, help="copy the replicas' logs to this folder")
    args = parser.parse_args(argv)
    bindir = find_bindir()
    if bindir is None:
        print("failover: PostgreSQL's server programs (initdb, pg_ctl) are not installed; "
              "install Debian's postgresql package", file=sys.stderr)  # fmt: skip
        return 2
    with tempfile.TemporaryDirectory(prefix="scamwise-failover-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        pg = PostgresServer.start(bindir)
        try:
            figures = asyncio.run(run(args, work, pg))
        finally:
            pg.stop()
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0 if passed(figures) else 1


if __name__ == "__main__":
    sys.exit(main())
