"""Soak the bot: 500 concurrent users with reloads under load, then kill -9 in mid-quiz.

    python scripts/soak.py [--users 500] [--reloads 3] [--killed 20] [--time-limit 900]

Everything runs on this machine with the offline Bot API (`bot.telegram.offline`): no network
at all. The real knowledge base, index and model are used (the index is built into a temporary
folder first if the configured one is missing or stale).

1. Load, twice: `--users` users at once, each asking a question, taking the whole starter quiz
   and asking another question midway, while `/reload` runs `--reloads` times. Counted: users
   left without a reply to a question, quiz answers lost (pressed and acknowledged but not in
   the database) or duplicated (stored twice, or a score that disagrees with the answers), and
   the process's RSS after each round: the growth from round 1 to round 2 is what a long run
   would leak.
2. Kill -9: `--killed` users take the quiz through `tests/crash_probe.py` (the real
   Application in a child process); the child is killed with SIGKILL while an answer is in
   flight, restarted on the same database, and every user finishes. Counted: acknowledged
   answers lost, answers stored twice, in-flight answers stored half (a row without its score).

It prints one line per figure and exits 0 when nothing was lost, duplicated or left without a
reply, 1 otherwise. It stops by itself: each phase has a deadline inside `--time-limit`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bot.conversation import texts  # noqa: E402
from bot.errors import ScamWiseError  # noqa: E402
from bot.settings import Settings, load_settings  # noqa: E402
from bot.telegram.driver import ChatRequest, Driver, buttons  # noqa: E402
from bot.telegram.offline import TOKEN, Call  # noqa: E402
from tests.crash_probe_client import Probe, ProbeUser, child_env  # noqa: E402

QUIZ = "starter"
QUESTIONS = (
    "someone offers 500 a day to like videos, is it real?",
    "my boss called on video asking for an urgent transfer",
    "a recruiter on whatsapp wants a deposit before I start",
    "a stranger on a dating app wants me to invest in crypto",
)


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- set-up: an index that fits the knowledge and the model ---------------------------------


def ready_settings(work: Path) -> Settings:
    """The configured settings, with a fresh index (built into `work` if needed)."""
    from bot.knowledge.loader import load_knowledge
    from scripts.build_index import is_fresh

    settings = load_settings()
    kb = load_knowledge(settings.knowledge_dir)
    if is_fresh(settings.index_path, kb, settings.model):
        return settings
    out = work / "index"
    log(f"building an index into {out} (the configured one is missing or stale)")
    # In a child process: the export loads PyTorch, which would swell this process's RSS.
    script = ROOT / "scripts" / "build_index.py"
    subprocess.run([sys.executable, str(script), "--out", str(out), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL, timeout=600)  # fmt: skip
    return settings.model_copy(update={"index_dir": out})


def soak_settings(base: Settings, db: Path, **overrides: Any) -> Settings:
    """Settings for one soak bot: its own database, no flood limit, the test token."""
    from pydantic import SecretStr

    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{db}",
        "flood_limit": 1_000_000,
        "telegram_bot_token": SecretStr(TOKEN),
        "admin_ids": {1},
        # The offline API answers at once; Telegram's 30 messages/s would only stretch the run.
        "telegram_max_rate": 1000.0,
        "log_level": "WARNING",
    }
    return base.model_copy(update={**values, **overrides})


# --- phase 1: load with reloads ----------------------------------------------------------------


class Tally:
    """What went wrong, counted over a phase."""

    def __init__(self) -> None:
        self.without_reply: set[int] = set()
        self.apologies = 0
        self.pressed: dict[int, list[int]] = {}  # user -> options acknowledged, in order

    def replied(self, uid: int, calls: list[Call]) -> None:
        sent = [c for c in calls if c.method == "sendMessage"]
        if not sent:
            self.without_reply.add(uid)
        self.apologies += sum(c.params.get("text") == texts.ERROR for c in sent)


async def one_user(driver: Driver, uid: int, tally: Tally) -> None:
    """A question, the whole quiz (another question midway), counted in `tally`."""
    tally.replied(uid, await driver.say(uid, QUESTIONS[uid % len(QUESTIONS)]))
    shown = [c for c in await driver.say(uid, f"/start quiz-{QUIZ}") if buttons(c)]
    if not shown:
        tally.without_reply.add(uid)
        return
    message_id, data = shown[0].result["message_id"], buttons(shown[0])
    chosen: list[int] = []
    for q in itertools.count():
        answers = [d for d in data if re.fullmatch(rf"qa:\d+:{q}\.\d", d)]
        if not answers:
            break
        option = (uid + q) % len(answers)
        verdict = [c for c in await driver.press(uid, message_id, answers[option])
                   if c.method == "editMessageText"]  # fmt: skip
        if not verdict:
            tally.without_reply.add(uid)
            break
        chosen.append(option)
        if q == 2:
            tally.replied(uid, await driver.say(uid, QUESTIONS[(uid + 1) % len(QUESTIONS)]))
        nxt = [b for b in buttons(verdict[0]) if b.startswith("qn:")]
        step = [c for c in await driver.press(uid, message_id, nxt[0])
                if c.method == "editMessageText"]  # fmt: skip
        if not step:
            tally.without_reply.add(uid)
            break
        data = buttons(step[0])
    tally.pressed[uid] = chosen


def quiz_rows(db: Path) -> dict[int, tuple[int, int, list[tuple[int, int, int]]]]:
    """user -> (attempts, score, [(question, option, correct)]) straight from the database."""
    out: dict[int, tuple[int, int, list[tuple[int, int, int]]]] = {}
    with sqlite3.connect(db) as conn:
        for uid, n, score in conn.execute(
            "SELECT user_id, COUNT(*), SUM(score) FROM quiz_attempts GROUP BY user_id"
        ):
            out[uid] = (n, score, [])
        for uid, q, option, correct in conn.execute(
            "SELECT t.user_id, a.question_index, a.option, a.correct FROM quiz_answers a "
            "JOIN quiz_attempts t ON t.id = a.attempt_id ORDER BY t.user_id, a.question_index"
        ):
            out[uid][2].append((q, option, correct))
    return out


def lost_and_duplicated(db: Path, pressed: dict[int, list[int]]) -> tuple[int, int]:
    """Acknowledged answers missing from the database; answers or scores counted twice."""
    rows = quiz_rows(db)
    lost = duplicated = 0
    for uid, chosen in pressed.items():
        attempts, score, answers = rows.get(uid, (0, 0, []))
        stored = [option for _, option, _ in answers]
        lost += sum(1 for q in range(len(chosen)) if q >= len(stored) or stored[q] != chosen[q])
        duplicated += max(0, len(answers) - len(chosen)) + max(0, attempts - 1)
        duplicated += int(score != sum(correct for _, _, correct in answers))
    return lost, duplicated


async def load_round(
    settings: Settings, users: range, reloads: int, deadline: float
) -> dict[str, Any]:
    """One round of the load with `reloads` reloads spread over it."""
    from bot.telegram import build_application
    from bot.telegram.handlers import SERVICES

    request = ChatRequest()
    app = build_application(settings, request, request)
    driver = Driver(app, request)
    tally = Tally()
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    try:
        services = app.bot_data[SERVICES]

        async def reloading() -> list[str]:
            said = []
            for _ in range(reloads):
                await asyncio.sleep(1.0)
                said.append(await services.reload())
            return said

        started = time.perf_counter()
        work = asyncio.gather(*(one_user(driver, uid, tally) for uid in users), reloading())
        outcome = await asyncio.wait_for(work, max(1.0, deadline - time.monotonic()))
        said = cast(list[str], outcome[-1])
        seconds = time.perf_counter() - started
    finally:
        await app.stop()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
    db = Path(settings.database_url.split("///", 1)[1])
    lost, duplicated = lost_and_duplicated(db, tally.pressed)
    return {
        "users": len(users),
        "seconds": round(seconds, 1),
        "reloads_ok": sum(s.startswith("Reloaded") for s in said),
        "without_reply": len(tally.without_reply),
        "apologies": tally.apologies,
        "lost": lost,
        "duplicated": duplicated,
        "rss_mb": round(rss_mb(), 1),
    }


# --- phase 2: kill -9 in mid-quiz ------------------------------------------------------------


def shown_question(calls: list[dict[str, Any]]) -> tuple[int, list[str]] | None:
    """(message id, answer buttons) of the question a reply shows, if any."""
    for call in calls:
        answers = [b for b in call["buttons"] if b.startswith("qa:")]
        if answers:
            return call["message_id"], answers
    return None


def kill_phase(base: Settings, work: Path, users: int) -> dict[str, Any]:
    """Quizzes through a child bot killed with SIGKILL while an answer is in flight."""
    db = work / "killed.sqlite3"
    env = child_env(
        SCAMWISE_KNOWLEDGE_DIR=str(base.knowledge_dir), SCAMWISE_INDEX_DIR=str(base.index_path),
        SCAMWISE_DATABASE_URL=f"sqlite+aiosqlite:///{db}", SCAMWISE_FLOOD_LIMIT="100000",
        SCAMWISE_LOG_LEVEL="WARNING", TELEGRAM_BOT_TOKEN=TOKEN,
    )  # fmt: skip
    acknowledged: dict[int, list[int]] = {}
    in_flight: dict[int, int] = {}
    people = [ProbeUser(900_000 + n) for n in range(users)]
    probe = Probe(env, work / "probe.log")
    kills = 0
    try:
        for n, person in enumerate(people):
            shown = shown_question(probe.send(person.message(f"/start quiz-{QUIZ}")))
            chosen: list[int] = []
            for q in range(1 + n % 3):  # 1-3 acknowledged answers before the kill
                if shown is None:
                    break
                message_id, answers = shown
                option = (n + q) % len(answers)
                calls = probe.send(person.press(message_id, answers[option]))
                chosen.append(option)
                nxt = [b for c in calls for b in c["buttons"] if b.startswith("qn:")]
                shown = shown_question(probe.send(person.press(message_id, nxt[0])))
            acknowledged[person.user_id] = chosen
            if shown is not None and n % 2 == 0:  # every other user: kill with one in flight
                message_id, answers = shown
                in_flight[person.user_id] = len(chosen)
                probe.write(person.press(message_id, answers[0]))
                probe.read()  # received: now it is being handled
                if n % 4 == 0:
                    time.sleep(0.005 * (n % 7))  # somewhere inside the handler
                probe.kill()
                kills += 1
                probe = Probe(env, work / "probe.log")
        # Everyone comes back after the last restart and finishes from where the bot says.
        for person in people:
            calls = probe.send(person.message(f"/start quiz-{QUIZ}"))
            while (shown := shown_question(calls)) is not None:
                message_id, answers = shown
                calls = probe.send(person.press(message_id, answers[0]))
                nxt = [b for c in calls for b in c["buttons"] if b.startswith("qn:")]
                if not nxt:
                    break
                calls = probe.send(person.press(message_id, nxt[0]))
        probe.close()
    finally:
        if probe.proc.poll() is None:
            probe.proc.kill()
    rows = quiz_rows(db)
    lost = duplicated = half = 0
    for uid, chosen in acknowledged.items():
        attempts, score, kept = rows.get(uid, (0, 0, []))
        stored = {q: option for q, option, _ in kept}
        lost += sum(1 for q, option in enumerate(chosen) if stored.get(q) != option)
        duplicated += max(0, attempts - 1) + (len(kept) - len(stored))
        half += int(score != sum(correct for _, _, correct in kept))
    return {"users": users, "kills": kills, "lost": lost, "duplicated": duplicated,
            "half_written": half}  # fmt: skip


# --- main --------------------------------------------------------------------------------------


async def load_phase(settings: Settings, work: Path, args: argparse.Namespace) -> list[dict]:
    """Two rounds of the load on one database, new users each round."""
    deadline = time.monotonic() + args.time_limit * 0.6
    config = soak_settings(settings, work / "load.sqlite3")
    rounds = []
    for n in range(2):
        first = 100_000 + n * args.users
        log(f"load round {n + 1}: {args.users} users, {args.reloads} reloads")
        rounds.append(await load_round(config, range(first, first + args.users), args.reloads,
                                       deadline))  # fmt: skip
    return rounds


def report(rounds: list[dict], killed: dict[str, Any], start_rss: float) -> str:
    lines = []
    for n, r in enumerate(rounds, 1):
        lines.append(
            f"load round {n}: {r['users']} users in {r['seconds']} s, {r['reloads_ok']} reloads; "
            f"users without reply {r['without_reply']}, apologies {r['apologies']}, "
            f"answers lost {r['lost']}, duplicated {r['duplicated']}, RSS {r['rss_mb']} MB"
        )
    growth = rounds[-1]["rss_mb"] - rounds[0]["rss_mb"]
    lines.append(
        f"RSS: {start_rss:.1f} MB before the first round, {rounds[0]['rss_mb']} MB after it, "
        f"growth from round 1 to round 2: {growth:+.1f} MB"
    )
    lines.append(
        f"kill -9: {killed['users']} users, {killed['kills']} kills with an answer in flight; "
        f"acknowledged answers lost {killed['lost']}, duplicated {killed['duplicated']}, "
        f"half-written {killed['half_written']}"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500, help="concurrent users per round")
    parser.add_argument("--reloads", type=int, default=3, help="reloads during each round")
    parser.add_argument("--killed", type=int, default=20, help="users in the kill -9 phase")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds in all")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scamwise-soak-") as tmp:
        work = Path(tmp)
        try:
            settings = ready_settings(work)
            start_rss = rss_mb()
            rounds = asyncio.run(load_phase(settings, work, args))
            log(f"kill -9 phase: {args.killed} users")
            killed = kill_phase(settings, work, args.killed)
        except ScamWiseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except TimeoutError:
            print(f"error: the soak did not finish within --time-limit {args.time_limit:.0f} s",
                  file=sys.stderr)  # fmt: skip
            return 1
    print(report(rounds, killed, start_rss))
    log(f"done in {time.monotonic() - started:.0f} s")
    bad = sum(r["without_reply"] + r["lost"] + r["duplicated"] for r in rounds)
    bad += killed["lost"] + killed["duplicated"] + killed["half_written"]
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
