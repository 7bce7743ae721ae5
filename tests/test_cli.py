"""`python -m bot`: ask (text and JSON) over a real index, error exits, chat loop, cheap --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_knowledge

from bot.cli import main
from bot.conversation.texts import DECLINED_PLAIN, EMPTY
from bot.knowledge.loader import content_hash
from bot.knowledge.models import Entry, KnowledgeBase
from bot.search.embedder import DEFAULT_MODEL
from bot.search.index import read_meta
from bot.search.indexing import build_index

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
IN_SCOPE = "they pay me to like videos on tiktok but now i must top up to unlock my commission"
OUT_OF_SCOPE = "can you help me with my algebra homework"
JSON_KEYS = {"language", "query", "id", "score", "title", "answer", "alternatives", "declined"}


@pytest.fixture(scope="module")
def snapshot(
    tmp_path_factory: pytest.TempPathFactory,
    real_index_dir: Path,
    real_embedder: Any,
    real_encoder: Any,
    real_check: Any,
) -> tuple[Path, Path, KnowledgeBase]:
    """A stable knowledge folder and an index of exactly its content (the real model)."""
    knowledge = tmp_path_factory.mktemp("cli") / "knowledge"
    kb = copy_knowledge(knowledge)
    if read_meta(real_index_dir).content_hash == content_hash(kb):
        return knowledge, real_index_dir, kb
    out = tmp_path_factory.mktemp("cli-index")  # the files changed since the session index
    build_index(kb, real_embedder, out, DEFAULT_MODEL, encoder=real_encoder, check=real_check)
    return knowledge, out, kb


@pytest.fixture
def real_env(
    snapshot: tuple[Path, Path, KnowledgeBase], monkeypatch: pytest.MonkeyPatch
) -> KnowledgeBase:
    knowledge, index, kb = snapshot
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(index))
    return kb


def ask(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["ask", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ask_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    code, out, err = ask(capsys, "--json", *args)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1, out  # exactly one JSON object on one line
    obj = json.loads(lines[0])
    assert isinstance(obj, dict) and set(obj) == JSON_KEYS
    for alternative in obj["alternatives"]:
        assert set(alternative) == {"id", "score"}
    return obj


# --- ask -----------------------------------------------------------------------------------


def test_ask_json_answers_an_in_scope_question(
    real_env: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    obj = ask_json(capsys, IN_SCOPE)
    entry = real_env.get("task-scam")
    assert entry is not None
    assert obj["query"] == IN_SCOPE
    assert obj["id"] == "task-scam" and obj["declined"] is False
    assert obj["title"] == entry.title and obj["answer"] == entry.answer
    assert len(obj["alternatives"]) == 2  # the other candidates of -k 3
    assert "task-scam" not in {a["id"] for a in obj["alternatives"]}
    assert all(0.0 <= a["score"] <= obj["score"] <= 1.0 for a in obj["alternatives"])


def test_ask_json_declines_an_out_of_scope_question(
    real_env: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    obj = ask_json(capsys, OUT_OF_SCOPE)
    assert obj["id"] is None and obj["declined"] is True
    assert obj["title"] is None and obj["answer"] is None
    assert len(obj["alternatives"]) == 3  # declined: every candidate is an alternative
    assert obj["alternatives"][0]["score"] == obj["score"]
    assert all(real_env.get(a["id"]) is not None for a in obj["alternatives"])


def test_ask_json_k_sets_the_number_of_candidates(
    real_env: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask_json(capsys, "-k", "1", IN_SCOPE)["alternatives"] == []
    assert len(ask_json(capsys, "-k", "5", OUT_OF_SCOPE)["alternatives"]) == 5


def test_ask_text_shows_the_answer_sections(
    real_env: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = ask(capsys, IN_SCOPE)
    entry = real_env.get("task-scam")
    assert code == 0 and err == ""
    assert entry is not None and out.splitlines()[0] == entry.title
    assert "\nRed flags:\n" in out and "\nWhat to do:\n" in out
    assert f"  - {entry.red_flags[0]}" in out and f"  - {entry.what_to_do[0]}" in out
    assert out.index("Red flags:") < out.index("What to do:")


def test_ask_text_declines_and_asks_for_words(
    real_env: KnowledgeBase, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(capsys, OUT_OF_SCOPE) == (0, DECLINED_PLAIN + "\n", "")
    assert ask(capsys, " 🙂 ?! ") == (0, EMPTY + "\n", "")


def test_k_zero_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(capsys, "-k", "0", IN_SCOPE)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and "-k must be at least 1" in err


def test_missing_index_is_one_clear_line(
    snapshot: tuple[Path, Path, KnowledgeBase], tmp_path: Path
) -> None:
    missing = tmp_path / "no-index-here"
    env = {
        **os.environ,
        "SCAMWISE_KNOWLEDGE_DIR": str(snapshot[0]),
        "SCAMWISE_INDEX_DIR": str(missing),
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "is this job real"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert str(missing) in proc.stderr and "build_index.py" in proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stdout == ""


def tiny_kb() -> KnowledgeBase:
    answer = "Paid tasks first, then deposits to unlock your commission."
    entry = Entry(
        id="task-scam",
        topic="jobs",
        title="Task scams",
        questions=("paid to like videos",),
        answer=answer,
        red_flags=("Pay to earn.",),
        what_to_do=("Stop paying.",),
        sources=(),
    )
    return KnowledgeBase(entries=(entry,))


@pytest.mark.parametrize(
    ("model", "message"),
    [(DEFAULT_MODEL, "other knowledge content"), ("fake-hash-embedder", "built with model")],
)
def test_index_of_other_content_or_model_is_refused(
    snapshot: tuple[Path, Path, KnowledgeBase],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_embedder: Any,
    model: str,
    message: str,
) -> None:
    other = tmp_path / "other-index"
    build_index(tiny_kb(), fake_embedder, other, model)
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(snapshot[0]))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(other))
    code, out, err = ask(capsys, IN_SCOPE)
    assert code == 1 and out == ""
    assert message in err and str(other) in err and "build_index.py" in err


# --- --help is cheap -----------------------------------------------------------------------

HELP_PROBE = """
import runpy, sys
sys.argv = ["bot", *sys.argv[1:]]
code = None
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
print("PROBE", code, ",".join(heavy) or "-")
"""


@pytest.mark.parametrize("argv", [["--help"], ["ask", "--help"]])
def test_help_does_not_import_the_model(tmp_path: Path, argv: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", HELP_PROBE, *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "PROBE 0 -"
    assert "usage: python -m bot" in proc.stdout


def test_python_m_bot_help_exits_zero(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ask" in proc.stdout and "chat" in proc.stdout and proc.stderr == ""


def test_unanswered_lists_the_most_frequent_recent_questions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from bot.storage.store import Store

    url = f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3"

    async def fill() -> None:
        store = await Store.open(url)
        old = datetime.now(UTC) - timedelta(days=30)
        for question in ["Is bitcoin up today", "is  BITCOIN up today", "write my cv"]:
            await store.record_unanswered(question, None, 0.2, "declined")
        await store.record_unanswered("ancient question", "fake-loan", 0.3, "low", at=old)
        await store.close()

    asyncio.run(fill())
    monkeypatch.setenv("SCAMWISE_DATABASE_URL", url)
    assert main(["unanswered", "--since", "7"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "bitcoin" in line.lower() or "cv" in line]
    assert len(lines) == 2 and "bitcoin" in lines[0].lower() and " 2 " in f" {lines[0]} "
    assert "ancient question" not in out
    assert main(["unanswered"]) == 0
    assert "ancient question" in capsys.readouterr().out
