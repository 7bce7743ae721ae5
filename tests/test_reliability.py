"""Reliability: kill -9 mid-quiz, start-up faults, degradation while running, 500 users at once.

- Crash recovery runs `tests/crash_probe.py` (the real Application on the offline Bot API) as
  a subprocess on an SQLite file, kills it with SIGKILL at chosen points and restarts it on the
  same file: every acknowledged answer counts exactly once, an answer in flight counts fully
  or not at all, and the quiz goes on from the right question.
- Start-up faults run `python -m bot ask|chat|doctor|unanswered` with a broken index, broken
  knowledge files or a database that cannot be used: one clear `error:` line naming the file,
  a non-zero exit, never a traceback.
- Degradation: an unwritable database, a failing model and a broken /reload while running.
- Load: 500 users interleaving questions and a whole quiz through one Application (about
  two and a half minutes on two cores; RELIABILITY_USERS=<n> runs fewer for a quick check).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import copy_knowledge

from bot.conversation import texts
from bot.knowledge.loader import content_hash
from bot.knowledge.models import KnowledgeBase
from bot.quizzes.loader import load_quizzes
from bot.quizzes.models import Quiz
from bot.search.embedder import DEFAULT_MODEL
from bot.search.index import read_meta
from bot.search.indexing import build_index
from bot.search.results import Status
from bot.settings import Settings
from bot.storage.store import StorageError
from bot.telegram import build_application
from bot.telegram.driver import ChatRequest, Driver, buttons
from bot.telegram.offline import TOKEN, Call
from tests.crash_probe_client import Probe, ProbeUser, child_env
from tests.telegram_harness import running, telegram_settings

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
QUIZ_ID = "starter"
PROBE_TIMEOUT_S = 120.0
OFF_TOPIC = "how do I bake sourdough bread at home"


# --- a stable copy of the knowledge and an index of exactly its content -----------------------


@dataclass(frozen=True)
class Snapshot:
    knowledge: Path
    index: Path
    kb: KnowledgeBase
    quiz: Quiz


@pytest.fixture(scope="module")
def snap(
    tmp_path_factory: pytest.TempPathFactory,
    real_index_dir: Path,
    real_embedder: Any,
    real_encoder: Any,
) -> Snapshot:
    knowledge = tmp_path_factory.mktemp("reliability") / "knowledge"
    kb = copy_knowledge(knowledge)
    index = real_index_dir
    if read_meta(real_index_dir).content_hash != content_hash(kb):
        index = tmp_path_factory.mktemp("reliability-index")  # the files changed meanwhile
        build_index(kb, real_embedder, index, DEFAULT_MODEL, encoder=real_encoder)
    quiz = load_quizzes(knowledge / "quizzes", kb)[QUIZ_ID]
    return Snapshot(knowledge, index, kb, quiz)


def settings_for(
    snap: Snapshot, tmp_path: Path, index: Path | None = None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {"knowledge_dir": snap.knowledge, "flood_limit": 1_000_000}
    return telegram_settings(tmp_path, index or snap.index, **{**values, **overrides})


def expected_score(quiz: Quiz, options: list[int]) -> int:
    return sum(opt == q.answer for q, opt in zip(quiz.questions, options, strict=False))


def score_line(quiz: Quiz, score: int) -> str:
    text = texts.QUIZ_SCORE.format(title=quiz.title, score=score, total=len(quiz.questions))
    return f"<b>{html.escape(text, quote=False)}</b>"


def db_rows(db: Path, user_id: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(attempts, answers) of one user, read straight from the SQLite file."""
    with sqlite3.connect(db) as conn:
        attempts = conn.execute(
            "SELECT id, position, score, finished_at IS NOT NULL FROM quiz_attempts "
            "WHERE user_id = ? ORDER BY id",
            (user_id,),
        ).fetchall()
        answers = conn.execute(
            "SELECT a.attempt_id, a.question_index, a.option, a.correct FROM quiz_answers a "
            "JOIN quiz_attempts t ON t.id = a.attempt_id WHERE t.user_id = ? "
            "ORDER BY a.attempt_id, a.question_index",
            (user_id,),
        ).fetchall()
    return attempts, answers


@pytest.fixture(scope="module")
def clear(snap: Snapshot, real_embedder: Any) -> list[tuple[str, str]]:
    """Dev-set questions answered with a clear margin: (question, expected title HTML)."""
    import yaml

    from bot.app import open_retriever

    retriever = open_retriever(
        Settings(knowledge_dir=snap.knowledge, index_dir=snap.index), real_embedder, snap.kb
    )
    config = retriever.config
    cases = yaml.safe_load((ROOT / "tests/data/dev_questions.yaml").read_text(encoding="utf-8"))
    questions = [c["q"] for c in cases if c["expect"]][:120]
    out = []
    for question, result in zip(questions, retriever.search_many(questions), strict=True):
        hits = result.hits
        if result.status is not Status.ANSWER or len(hits) < 2:
            continue
        if hits[0].score < config.decline_threshold + 0.12:
            continue
        if hits[0].score - hits[1].score < config.ambiguity_margin + 0.05:
            continue
        entry = snap.kb.get(hits[0].entry_id)
        assert entry is not None
        out.append((question, f"<b>{html.escape(entry.title, quote=False)}</b>"))
    assert len(out) >= 4, "too few clearly answered dev questions"
    assert retriever.search(OFF_TOPIC).status is Status.DECLINED
    return out[:12]


def answered_with(calls: list[Call], title: str) -> None:
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 1, [c.params.get("text", "")[:60] for c in calls]
    assert sent[0].params["text"].startswith(title), sent[0].params["text"][:120]


# --- driving an Application in-process: updates, completion and calls per chat ---------------


@asynccontextmanager
async def drive(settings: Settings, embedder: Any) -> AsyncIterator[tuple[Driver, Any]]:
    """The real Application, started on the offline Bot API, fed through its update queue."""
    request = ChatRequest()
    app = build_application(settings, request, request, embedder=embedder)
    driver = Driver(app, request)
    async with running(app):
        await app.start()
        try:
            yield driver, app.bot_data["services"]
        finally:
            await app.stop()


@pytest.fixture
async def driven(
    tmp_path: Path, snap: Snapshot, real_embedder: Any
) -> AsyncIterator[tuple[Driver, Any]]:
    async with drive(settings_for(snap, tmp_path, admin_ids="1"), real_embedder) as driven:
        yield driven


# --- kill -9 mid-quiz ----------------------------------------------------------------------------

QUIZ_USER = 777_001


@pytest.fixture
def probes(snap: Snapshot, tmp_path: Path) -> Iterator[Any]:
    """Start probes on one database file; any still running at the end is killed."""
    started: list[Probe] = []
    env = child_env(
        SCAMWISE_KNOWLEDGE_DIR=str(snap.knowledge),
        SCAMWISE_INDEX_DIR=str(snap.index),
        SCAMWISE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'quiz.sqlite3'}",
        SCAMWISE_FLOOD_LIMIT="1000",
        SCAMWISE_LOG_LEVEL="WARNING",
        TELEGRAM_BOT_TOKEN=TOKEN,
    )

    def start(**extra: str) -> Probe:
        probe = Probe({**env, **extra}, tmp_path / "probe.log", cwd=tmp_path)
        started.append(probe)
        return probe

    yield start
    for probe in started:
        if probe.proc.poll() is None:
            probe.proc.kill()
            probe.proc.wait(timeout=30)


def question_shown(calls: list[dict[str, Any]], index: int, n: int) -> dict[str, Any]:
    """The one message or edit of `calls` showing question `index` (0-based) of n."""
    shown = [c for c in calls if c["method"] in ("sendMessage", "editMessageText")]
    assert len(shown) == 1 and f"· {index + 1}/{n}</b>" in shown[0]["text"], calls
    assert len(shown[0]["buttons"]) >= 2, shown[0]
    return shown[0]


def answer(probe: Probe, user: ProbeUser, shown: dict[str, Any], message_id: int, q: int,
           option: int, quiz: Quiz) -> str:  # fmt: skip
    """Press an option; check the verdict; return the Next button's data."""
    data = shown["buttons"][option]
    assert re.fullmatch(rf"qa:\d+:{q}\.{option}", data), data
    ack, verdict = probe.send(user.press(message_id, data))
    assert (ack["method"], verdict["method"]) == ("answerCallbackQuery", "editMessageText")
    mark = texts.QUIZ_CORRECT if option == quiz.questions[q].answer else texts.QUIZ_WRONG
    assert verdict["text"].startswith(f"<b>{mark}</b> · {q + 1}/{len(quiz.questions)}")
    (next_button,) = [b for b in verdict["buttons"] if b.startswith("qn:")]
    return str(next_button)


def finish(probe: Probe, user: ProbeUser, shown: dict[str, Any], message_id: int, first: int,
           pattern: list[int], quiz: Quiz) -> str:  # fmt: skip
    """Answer questions first.. with the pattern, pressing Next after each; the final text."""
    n = len(quiz.questions)
    for q in range(first, n):
        next_button = answer(probe, user, shown, message_id, q, pattern[q], quiz)
        calls = probe.send(user.press(message_id, next_button))
        if q + 1 < n:
            shown = question_shown(calls, q + 1, n)
    (summary,) = [c for c in calls if c["method"] == "editMessageText"]
    return str(summary["text"])


def mixed_pattern(quiz: Quiz) -> list[int]:
    """Right, wrong, right, right, wrong, ...: a score that tells lost or doubled answers."""
    return [
        q.answer if i % 3 != 1 else (q.answer + 1) % len(q.options)
        for i, q in enumerate(quiz.questions)
    ]


def check_finished(db: Path, user_id: int, pattern: list[int], quiz: Quiz) -> None:
    """One finished attempt, one answer per question as given, the score of the right ones."""
    attempts, answers = db_rows(db, user_id)
    assert len(attempts) == 1, attempts
    _, position, score, finished = attempts[0]
    assert (position, score, finished) == (len(quiz.questions), expected_score(quiz, pattern), 1)
    assert [(a[1], a[2]) for a in answers] == list(enumerate(pattern))
    right = [option == q.answer for option, q in zip(pattern, quiz.questions, strict=True)]
    assert [bool(a[3]) for a in answers] == right


def check_missed(summary: str, pattern: list[int], quiz: Quiz) -> None:
    """The summary reviews exactly the questions answered wrongly."""
    wrong = {i + 1 for i, (o, q) in enumerate(zip(pattern, quiz.questions, strict=True))
             if o != q.answer}  # fmt: skip
    assert {int(n) for n in re.findall(r"\n\nQ(\d+)\. ", html.unescape(summary))} == wrong


def test_kill_9_after_an_acknowledged_answer_loses_nothing(
    probes: Any, snap: Snapshot, tmp_path: Path
) -> None:
    quiz, n, db = snap.quiz, len(snap.quiz.questions), tmp_path / "quiz.sqlite3"
    pattern = mixed_pattern(quiz)
    user = ProbeUser(QUIZ_USER)

    first = probes()
    shown = question_shown(first.send(user.message(f"/start quiz-{quiz.id}")), 0, n)
    message_id = shown["message_id"]
    next_button = answer(first, user, shown, message_id, 0, pattern[0], quiz)
    shown = question_shown(first.send(user.press(message_id, next_button)), 1, n)
    next_button = answer(first, user, shown, message_id, 1, pattern[1], quiz)
    first.kill()  # acknowledged the second answer; Next not pressed yet

    attempts, answers = db_rows(db, QUIZ_USER)
    assert [(a[1], a[2], a[3]) for a in attempts] == [(1, expected_score(quiz, pattern[:2]), 0)]
    assert [(a[1], a[2]) for a in answers] == [(0, pattern[0]), (1, pattern[1])]

    second = probes()
    # The Next button under the last verdict still works after the restart.
    shown = question_shown(second.send(user.press(message_id, next_button)), 2, n)
    # Pressing the already answered option again does not count twice.
    ack, *edits = second.send(user.press(message_id, f"qa:{attempts[0][0]}:1.{pattern[1]}"))
    assert (ack["method"], ack["text"], edits) == (
        "answerCallbackQuery",
        texts.QUIZ_ALREADY_ANSWERED,
        [],
    )
    summary = finish(second, user, shown, message_id, 2, pattern, quiz)
    assert summary.startswith(score_line(quiz, expected_score(quiz, pattern))), summary
    check_missed(summary, pattern, quiz)
    assert second.close() == 0
    check_finished(db, QUIZ_USER, pattern, quiz)
    assert "Traceback" not in second.stderr() and "caused an error" not in second.stderr()


def test_kill_9_with_an_answer_in_flight_records_it_whole_or_not_at_all(
    probes: Any, snap: Snapshot, tmp_path: Path
) -> None:
    """Three kills, each during an answer: as it arrives, inside its transaction, after it."""
    quiz, n, db = snap.quiz, len(snap.quiz.questions), tmp_path / "quiz.sqlite3"
    pattern = [q.answer for q in quiz.questions]  # right answers: each one moves the score
    user = ProbeUser(QUIZ_USER)

    def stored() -> int:
        """How many answers are stored; the attempt agrees with them exactly (never half)."""
        attempts, answers = db_rows(db, QUIZ_USER)
        assert len(attempts) == 1, attempts
        _, position, score, finished = attempts[0]
        assert [(a[1], a[2]) for a in answers] == list(enumerate(pattern))[: len(answers)]
        assert (score, finished) == (sum(bool(a[3]) for a in answers), 0), (attempts, answers)
        assert position in (len(answers) - 1, len(answers)), (attempts, answers)
        return len(answers)

    def resume(probe: Probe, answered: int) -> tuple[dict[str, Any], int]:
        """/start again: the first unanswered question, marked as resumed."""
        calls = probe.send(user.message(f"/start quiz-{quiz.id}"))
        shown = question_shown(calls, answered, n)
        assert html.escape(texts.QUIZ_RESUMED, quote=False) in shown["text"]
        return shown, shown["message_id"]

    # 1. Killed as soon as the answer to question 2 was read: whole or nothing.
    first = probes()
    shown = question_shown(first.send(user.message(f"/start quiz-{quiz.id}")), 0, n)
    message_id = shown["message_id"]
    next_button = answer(first, user, shown, message_id, 0, pattern[0], quiz)
    shown = question_shown(first.send(user.press(message_id, next_button)), 1, n)
    in_flight = user.press(message_id, shown["buttons"][pattern[1]])
    first.write(in_flight)
    assert first.read() == {"received": in_flight["update_id"]}
    first.kill()
    answered = stored()
    assert answered in (1, 2)

    # 2. Killed inside the transaction, after the answer row was written and just as the score
    # is raised: neither counts.
    point = "sql:UPDATE quiz_attempts SET score"
    second = probes(CRASH_PROBE_STALL=point)
    shown, message_id = resume(second, answered)
    second.write(user.press(message_id, shown["buttons"][pattern[answered]]))
    assert second.read()["received"] and second.read() == {"stalled": point}
    second.kill()
    assert stored() == answered

    # 3. Killed after the commit, before the verdict reached the user: it counts, once.
    third = probes(CRASH_PROBE_STALL="api:editMessageText")
    shown, message_id = resume(third, answered)
    third.write(user.press(message_id, shown["buttons"][pattern[answered]]))
    assert third.read()["received"] and third.read() == {"stalled": "api:editMessageText"}
    third.kill()
    assert stored() == answered + 1

    # Back once more: the quiz goes on after the answer that counted, and ends with all of them.
    fourth = probes()
    shown, message_id = resume(fourth, answered + 1)
    summary = finish(fourth, user, shown, message_id, answered + 1, pattern, quiz)
    assert summary.startswith(score_line(quiz, n)), summary
    assert html.escape(texts.QUIZ_PERFECT, quote=False) in summary
    assert fourth.close() == 0
    check_finished(db, QUIZ_USER, pattern, quiz)
    assert "Traceback" not in fourth.stderr() and "caused an error" not in fourth.stderr()


# --- start-up faults: one clear line, a non-zero exit, never a traceback ------------------------


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Fault:
    """A broken set-up, the command run on it, and what its message must name."""

    argv: tuple[str, ...]
    env: dict[str, str]
    names: tuple[str, ...]  # every one of these must appear in the message
    code: int = 1
    hold_lock: Path | None = None  # hold BEGIN EXCLUSIVE on this database during the run
    release_when_open: bool = False  # release it once the bot has the file open


def make_faults(root: Path, snap: Snapshot) -> dict[str, Fault]:
    """Build every broken set-up under `root` (a copy per fault; the originals stay intact)."""
    ok = {"SCAMWISE_KNOWLEDGE_DIR": str(snap.knowledge), "SCAMWISE_INDEX_DIR": str(snap.index)}
    faults: dict[str, Fault] = {}

    def add(name: str, env: dict[str, str], *names: str, **more: Any) -> None:
        command = name.split("/")[1]
        argv = (command, "is this job real") if command == "ask" else (command,)
        faults[name] = Fault(argv, {**ok, **env}, names, **more)

    def index_copy(name: str) -> tuple[Path, Path, dict[str, Any]]:
        index = root / name
        shutil.copytree(snap.index, index)
        meta = json.loads((index / "meta.json").read_text(encoding="utf-8"))
        return index, index / meta["faiss_file"], meta

    def index_env(index: Path) -> dict[str, str]:
        return {"SCAMWISE_INDEX_DIR": str(index)}

    # (a) no index at all
    missing = root / "no-index"
    add("missing-index/chat", index_env(missing), str(missing), "build_index")

    # (b) a corrupted index
    index, vectors, _ = index_copy("truncated")
    vectors.write_bytes(vectors.read_bytes()[:200])
    add("truncated-vectors/ask", index_env(index), str(vectors), "checksum")
    add("truncated-vectors/doctor", index_env(index), str(vectors), "checksum")
    index, vectors, _ = index_copy("overwritten")
    vectors.write_bytes(b"\0garbage" * (vectors.stat().st_size // 8))
    add("overwritten-vectors/chat", index_env(index), str(vectors), "checksum")
    index, vectors, meta = index_copy("garbage-vectors-checksum-ok")
    vectors.write_bytes(os.urandom(4096))
    meta["faiss_sha256"] = hashlib.sha256(vectors.read_bytes()).hexdigest()
    (index / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    add("unreadable-vectors/ask", index_env(index), f"cannot read {vectors}")
    index, _, _ = index_copy("garbage-meta")
    (index / "meta.json").write_bytes(b'{"model": "all-MiniLM\xff\xfe, garbage')
    add("garbage-meta/ask", index_env(index), str(index / "meta.json"), "rebuild")
    index, _, meta = index_copy("mistyped-meta")
    (index / "meta.json").write_text(json.dumps({**meta, "faiss_file": 7}), encoding="utf-8")
    add("mistyped-meta/chat", index_env(index), str(index / "meta.json"), "faiss_file")
    index, _, meta = index_copy("unknown-payload")
    meta["payloads"] = ["no-such-entry", *meta["payloads"][1:]]
    (index / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    add("unknown-payload/ask", index_env(index), str(index), "no-such-entry")
    # ... and its ONNX encoder file: cut short, deleted, or garbage with a matching checksum
    index, _, meta = index_copy("truncated-encoder")
    encoder = index / meta["encoder_file"]
    encoder.write_bytes(encoder.read_bytes()[:4096])
    add("truncated-encoder/ask", index_env(index), str(encoder), "checksum")
    index, _, meta = index_copy("deleted-encoder")
    (index / meta["encoder_file"]).unlink()
    add("deleted-encoder/chat", index_env(index), str(index / meta["encoder_file"]), "missing")
    index, _, meta = index_copy("garbage-encoder-checksum-ok")
    encoder = index / meta["encoder_file"]
    encoder.write_bytes(os.urandom(4096))
    meta["encoder_sha256"] = hashlib.sha256(encoder.read_bytes()).hexdigest()
    (index / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    add("garbage-encoder/ask", index_env(index), f"cannot load the encoder {encoder}")

    # (c) unreadable knowledge files: the message names the file and the line
    def broken_line(name: str, pick: str, damage: bytes) -> tuple[dict[str, str], str]:
        """A knowledge copy with `damage` appended to the first title line of a file."""
        folder = root / name / "knowledge"
        shutil.copytree(snap.knowledge, folder)
        path = folder / pick
        lines = path.read_bytes().split(b"\n")
        line = next(i for i, text in enumerate(lines, 1) if text.lstrip().startswith(b"title:"))
        lines[line - 1] += damage
        path.write_bytes(b"\n".join(lines))
        return {"SCAMWISE_KNOWLEDGE_DIR": str(folder)}, f"{pick}:{line}:"

    entries = sorted(snap.knowledge.glob("entries/*.yaml"))
    first, last = f"entries/{entries[0].name}", f"entries/{entries[-1].name}"
    env, where = broken_line("bad-utf8", first, b" caf\xe9")
    add("entry-not-utf8/ask", env, where, "UTF-8")
    env, where = broken_line("bad-yaml", last, b": [unclosed")
    add("entry-yaml-error/chat", env, where, "YAML")
    env, where = broken_line("bad-quiz", f"quizzes/{QUIZ_ID}.yaml", b": [unclosed")
    add("quiz-yaml-error/chat", env, where, "YAML")

    # (d) a database that cannot be used (as root, chmod stops nothing: other faults instead)
    def db_env(path: Path | str) -> dict[str, str]:
        return {"SCAMWISE_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}

    garbage = root / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(8192))
    add("not-a-database/chat", db_env(garbage), str(garbage), "not an SQLite database")
    regular = root / "regular-file"
    regular.write_text("I am a file, not a folder\n", encoding="utf-8")
    parent = db_env(regular / "data" / "db.sqlite3")
    add("parent-is-a-file/unanswered", parent, str(regular), "cannot be created or opened")
    good = root / "good.sqlite3"
    with sqlite3.connect(good) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE other (x)")
    add("read-only/unanswered", db_env(f"file:{good}?mode=ro&uri=true"), good.name, "read-only")
    locked, unlocked = root / "locked.sqlite3", root / "unlocked.sqlite3"
    shutil.copy2(good, locked)
    shutil.copy2(good, unlocked)
    add("locked/unanswered", db_env(locked), str(locked), "locked", hold_lock=locked)
    add(
        "lock-released/unanswered", db_env(unlocked), "No unanswered questions",
        code=0, hold_lock=unlocked, release_when_open=True,
    )  # fmt: skip
    return faults


def has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` holds `path` open (Linux /proc)."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def run_fault(fault: Fault, cwd: Path) -> Outcome:
    """Run `python -m bot <argv>` on the broken set-up (stdin closed); hold a lock if asked."""
    holder = None
    if fault.hold_lock is not None:
        holder = sqlite3.connect(fault.hold_lock, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *fault.argv],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=child_env(**fault.env), cwd=cwd, text=True, encoding="utf-8",
        )  # fmt: skip
        if holder is not None and fault.release_when_open:
            assert fault.hold_lock is not None
            while proc.poll() is None and not has_open(proc.pid, fault.hold_lock):
                time.sleep(0.02)
            # Let it reach the lock and wait in its busy handler (5 s), then let go.
            time.sleep(0.5)
            holder.execute("ROLLBACK")
        out, err = proc.communicate(timeout=PROBE_TIMEOUT_S)
    finally:
        if holder is not None:
            holder.close()
    return Outcome(proc.returncode, out, err)


@pytest.fixture(scope="module")
def fault_outcomes(
    snap: Snapshot, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Fault, Outcome]]:
    """Every fault's outcome; the child processes run four at a time."""
    root = tmp_path_factory.mktemp("faults")
    faults = make_faults(root, snap)
    cwd = root / "cwd"
    cwd.mkdir()
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run_fault, faults[name], cwd) for name in FAULTS}
        return {name: (faults[name], future.result()) for name, future in futures.items()}


FAULTS = [  # the slow ones first: the model loads, or a lock is waited for
    "truncated-vectors/doctor",
    "not-a-database/chat",
    "locked/unanswered",
    "missing-index/chat",
    "truncated-vectors/ask",
    "overwritten-vectors/chat",
    "unreadable-vectors/ask",
    "garbage-meta/ask",
    "mistyped-meta/chat",
    "unknown-payload/ask",
    "garbage-encoder/ask",
    "truncated-encoder/ask",
    "deleted-encoder/chat",
    "entry-not-utf8/ask",
    "entry-yaml-error/chat",
    "quiz-yaml-error/chat",
    "parent-is-a-file/unanswered",
    "read-only/unanswered",
    "lock-released/unanswered",
]


@pytest.mark.parametrize("name", FAULTS)
def test_start_up_fault_is_one_clear_message(
    fault_outcomes: dict[str, tuple[Fault, Outcome]], name: str
) -> None:
    fault, outcome = fault_outcomes[name]
    assert "Traceback" not in outcome.err + outcome.out, outcome.err
    assert outcome.code == fault.code, outcome
    if fault.code == 0:
        message = outcome.out
        assert outcome.err == ""
    elif fault.argv[0] == "doctor":  # the doctor reports on stdout, one line per check
        (message,) = [line for line in outcome.out.splitlines() if line.startswith("[FAIL]")]
        assert message.startswith("[FAIL] index:")
        assert "[ok  ] knowledge" in outcome.out and "[ok  ] database" in outcome.out
    else:
        assert outcome.err.startswith("error: "), outcome.err
        assert outcome.out == "", outcome.out  # nothing half-started on stdout
        message = outcome.err
    for name_ in fault.names:
        assert name_ in message, (name_, message)


# --- degradation while running ---------------------------------------------------------------

INTERNALS = ("Traceback", "sqlite", "readonly", "Error", "exploded", ".py", "0xdeadbeef")


def user_texts(driver: Driver) -> list[str]:
    """Every text the bot sent or edited in any chat, and every button notice."""
    return [str(c.params.get("text")) for calls in driver.request.by_chat.values() for c in calls
            if c.params.get("text")]  # fmt: skip


def only_texts_of_the_bot(driver: Driver) -> None:
    """No user saw a traceback, an exception name, a path or an SQL message."""
    for text in user_texts(driver):
        assert not any(bit in text for bit in INTERNALS), text


@asynccontextmanager
async def read_only(store: Any) -> AsyncIterator[None]:
    """Every connection the store opens meanwhile refuses writes, as on a read-only disk."""
    engine = store.engine.sync_engine

    def query_only(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    sa.event.listen(engine, "connect", query_only)
    await store.engine.dispose()  # the pooled connections were opened writable
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", query_only)
        await store.engine.dispose()


async def test_unwritable_database_mid_run_still_answers_and_recovers(
    driven: tuple[Driver, Any],
    snap: Snapshot,
    clear: list[tuple[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver, services = driven
    question, title = clear[0]
    uid, n = 555, len(snap.quiz.questions)
    (start,) = await driver.say(uid, f"/start quiz-{QUIZ_ID}")
    message_id, options = start.result["message_id"], buttons(start)

    async with read_only(services.store):
        with pytest.raises(StorageError, match="readonly"):  # the fault is real
            await services.store.record_feedback("task-scam", 1)
        answered_with(await driver.say(uid, question), title)
        declined = await driver.say(uid, OFF_TOPIC)  # answered, though it cannot be logged
        assert [html.unescape(c.params["text"]) for c in declined] == [
            texts.DECLINED, texts.REPORT_POINTER,
        ]  # fmt: skip
        # Quiz steps need the database: a short apology, the button still answered.
        ack, sorry = await driver.press(uid, message_id, options[0])
        assert ack.method == "answerCallbackQuery" and sorry.params["text"] == texts.ERROR
        (sorry,) = await driver.say(uid + 1, f"/start quiz-{QUIZ_ID}")
        assert sorry.params["text"] == texts.ERROR
        (confirm,) = await driver.say(uid, "/forgetme")
        ack, sorry = await driver.press(uid, confirm.result["message_id"], "fg:yes")
        assert sorry.params["text"] == texts.ERROR

    only_texts_of_the_bot(driver)
    assert "could not store an unanswered question" in caplog.text
    assert caplog.text.count("caused an error") == 3 and "readonly" in caplog.text
    assert await services.store.top_unanswered() == []
    # Writable again: the same button now counts, and questions are logged again.
    ack, verdict = await driver.press(uid, message_id, options[0])
    assert verdict.method == "editMessageText" and f"· 1/{n}" in verdict.params["text"]
    await driver.say(uid, OFF_TOPIC)
    assert [r.question for r in await services.store.top_unanswered()] == [OFF_TOPIC]


async def test_model_failure_gets_the_apology_and_the_next_message_works(
    driven: tuple[Driver, Any],
    clear: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver, services = driven
    questions = clear[:3]
    embedder = services.retriever.embedder
    real_embed = embedder.embed
    broken = {"on": True}

    def embed(batch: Any) -> Any:
        if broken["on"]:
            raise RuntimeError("model exploded: out of memory at 0xdeadbeef")
        return real_embed(batch)

    monkeypatch.setattr(embedder, "embed", embed)
    users = [601, 602, 603]
    asked = [driver.say(u, q) for u, (q, _) in zip(users, questions, strict=True)]
    for calls in await asyncio.gather(*asked):  # one failing batch or several
        assert [c.params["text"] for c in calls] == [texts.ERROR]
    (step,) = await driver.say(604, f"/start quiz-{QUIZ_ID}")  # no model needed: unaffected
    assert "· 1/" in step.params["text"]

    broken["on"] = False
    asked = [driver.say(u, q) for u, (q, _) in zip(users, questions, strict=True)]
    for calls, (_, title) in zip(await asyncio.gather(*asked), questions, strict=True):
        answered_with(calls, title)
    only_texts_of_the_bot(driver)
    assert caplog.text.count("caused an error") == 3 and "model exploded" in caplog.text


async def test_reload_with_a_corrupted_index_keeps_serving_the_old_one(
    tmp_path: Path, snap: Snapshot, real_embedder: Any, clear: list[tuple[str, str]]
) -> None:
    index = tmp_path / "index"
    shutil.copytree(snap.index, index)
    meta_path = index / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    vectors = index / meta["faiss_file"]
    settings = settings_for(snap, tmp_path, index, admin_ids="1")

    corruptions = {
        "truncated vectors": lambda: vectors.write_bytes(vectors.read_bytes()[:1000]),
        "garbage meta.json": lambda: meta_path.write_bytes(b"\0{not json\xff"),
        "mistyped meta.json": lambda: meta_path.write_text(json.dumps({**meta, "faiss_file": 7})),
        "unknown entry in meta.json": lambda: meta_path.write_text(
            json.dumps({**meta, "payloads": ["gone", *meta["payloads"][1:]]})
        ),
        "no index": lambda: shutil.rmtree(index),
    }
    async with drive(settings, real_embedder) as (driver, services):
        question, title = clear[0]
        serving = services.retriever
        for name, corrupt in corruptions.items():
            corrupt()
            (reply,) = await driver.say(1, "/reload")
            text = html.unescape(reply.params["text"])
            assert text.startswith("Reload failed, still serving the previous index"), name
            assert str(index) in text, (name, text)  # says which files are at fault
            assert services.retriever is serving, name
            answered_with(await driver.say(2, question), title)
            shutil.rmtree(index, ignore_errors=True)
            shutil.copytree(snap.index, index)
        (reply,) = await driver.say(1, "/reload")
        assert reply.params["text"].startswith("Reloaded:")
        assert services.retriever is not serving
        answered_with(await driver.say(2, question), title)


# --- concurrent writers in one process -----------------------------------------------------------


async def test_concurrent_quiz_writes_take_turns_instead_of_failing_locked(
    tmp_path: Path, snap: Snapshot
) -> None:
    """SQLite's busy handler is unfair: pooled connections racing for the write lock used to
    starve past the busy timeout ("database is locked") once ~64 users tapped at once."""
    from bot.quizzes.engine import QuizEngine
    from bot.quizzes.models import AnswerResult, QuestionStep
    from bot.storage.store import Store

    store = await Store.open(
        f"sqlite+aiosqlite:///{tmp_path / 'busy.sqlite3'}", busy_timeout_s=0.05
    )
    engine = QuizEngine({QUIZ_ID: snap.quiz}, store)

    async def user(uid: int) -> int:
        step = await engine.start(uid, QUIZ_ID)
        assert isinstance(step, QuestionStep)
        for q in range(2):
            result = await engine.answer(uid, step.attempt_id, q, snap.quiz.questions[q].answer)
            assert isinstance(result, AnswerResult) and result.correct
            await engine.next(uid, step.attempt_id, q)
        return step.attempt_id

    try:
        attempt_ids = await asyncio.gather(*(user(uid) for uid in range(1, 41)))
    finally:
        await store.close()
    assert len(set(attempt_ids)) == 40
    with sqlite3.connect(tmp_path / "busy.sqlite3") as conn:
        rows = conn.execute("SELECT COUNT(*), SUM(score), SUM(position) FROM quiz_attempts")
        assert rows.fetchone() == (40, 40 * 2, 40 * 2)


# --- 500 users at once -------------------------------------------------------------------------

USERS = int(os.environ.get("RELIABILITY_USERS", "500"))
FIRST_USER = 100_000


async def one_user(
    driver: Driver, uid: int, quiz: Quiz, questions: list[tuple[str, str]]
) -> tuple[list[int], str]:
    """A question, the whole quiz with this user's pattern, another question midway."""
    n = len(quiz.questions)
    first, second = questions[uid % len(questions)], questions[(uid * 7 + 3) % len(questions)]
    answered_with(await driver.say(uid, first[0]), first[1])
    (start,) = await driver.say(uid, f"/start quiz-{quiz.id}")
    assert f"· 1/{n}</b>" in start.params["text"]
    message_id = start.result["message_id"]
    data = buttons(start)
    chosen: list[int] = []
    for q, question in enumerate(quiz.questions):
        option = (uid + q) % len(question.options)
        chosen.append(option)
        press = data[option]
        assert re.fullmatch(rf"qa:\d+:{q}\.{option}", press), (press, data)
        ack, verdict = await driver.press(uid, message_id, press)
        assert ack.method == "answerCallbackQuery" and verdict.method == "editMessageText"
        mark = texts.QUIZ_CORRECT if option == question.answer else texts.QUIZ_WRONG
        assert verdict.params["text"].startswith(f"<b>{mark}</b> · {q + 1}/{n}")
        if q == n // 2:
            answered_with(await driver.say(uid, second[0]), second[1])
        (nxt,) = [b for b in buttons(verdict) if b.startswith("qn:")]
        ack, step = await driver.press(uid, message_id, nxt)
        assert ack.method == "answerCallbackQuery" and step.method == "editMessageText"
        if q + 1 < n:
            assert f"· {q + 2}/{n}</b>" in step.params["text"]
            data = buttons(step)
    return chosen, step.params["text"]


async def test_500_users_interleave_questions_and_a_quiz(
    snap: Snapshot,
    tmp_path: Path,
    real_embedder: Any,
    clear: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The offline API answers at once, so Telegram's 30 messages/s cap would only stretch
    # 500 users x 23 messages to over six minutes; everything else is as in production.
    settings = settings_for(snap, tmp_path, telegram_max_rate=1000.0)
    async with drive(settings, real_embedder) as (driver, _):
        await load_test(driver, clear, snap, tmp_path)


async def load_test(
    driver: Driver, questions: list[tuple[str, str]], snap: Snapshot, tmp_path: Path
) -> None:
    quiz = snap.quiz
    users = range(FIRST_USER, FIRST_USER + USERS)
    results = await asyncio.gather(*(one_user(driver, u, quiz, questions) for u in users))

    for uid, (chosen, final) in zip(users, results, strict=True):
        assert final.startswith(score_line(quiz, expected_score(quiz, chosen))), (uid, final)
    texts_sent = [c.params.get("text", "") for calls in driver.request.by_chat.values()
                  for c in calls]  # fmt: skip
    assert texts.ERROR not in texts_sent and texts.FLOODED not in texts_sent
    # Every user's own replies: nothing of another user's quiz leaked into the chat.
    for uid in users:
        attempt_ids = {m for c in driver.request.by_chat[uid] for b in buttons(c)
                       for m in re.findall(r"^q[an]:(\d+):", b)}  # fmt: skip
        assert len(attempt_ids) == 1, (uid, attempt_ids)

    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        attempts = conn.execute(
            "SELECT user_id, COUNT(*), SUM(finished_at IS NOT NULL), SUM(score) "
            "FROM quiz_attempts GROUP BY user_id"
        ).fetchall()
        answers = dict(conn.execute(
            "SELECT t.user_id, COUNT(*) FROM quiz_answers a "
            "JOIN quiz_attempts t ON t.id = a.attempt_id GROUP BY t.user_id"
        ).fetchall())  # fmt: skip
        options = defaultdict(list)
        for uid, option in conn.execute(
            "SELECT t.user_id, a.option FROM quiz_answers a JOIN quiz_attempts t "
            "ON t.id = a.attempt_id ORDER BY t.user_id, a.question_index"
        ):
            options[uid].append(option)
    assert len(attempts) == USERS
    chosen_by = {uid: chosen for uid, (chosen, _) in zip(users, results, strict=True)}
    for uid, count, finished, score in attempts:
        chosen = chosen_by[uid]
        assert (count, finished, score) == (1, 1, expected_score(quiz, chosen)), uid
        assert answers[uid] == len(quiz.questions) and options[uid] == chosen, uid
