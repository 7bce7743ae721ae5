"""`python -m bot check`, `scripts/evaluate_messages.py`, the console's /check with a
multi-line paste, the pasted-message rule on the question sets, and the checker's own logic."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from bot.app import open_checker, open_retriever
from bot.checking.checker import MessageChecker
from bot.checking.detect import looks_like_message
from bot.checking.result import Verdict
from bot.cli import main
from bot.console import PASTE_PROMPT, ConsoleChat
from bot.settings import load_settings
from tests.conftest import KNOWLEDGE, ROOT

PARCEL = (
    "Your parcel is on hold: unpaid redelivery fee.\n"
    "Pay 1.99 within 24 hours at http://dhl-redelivery.top/pay"
)
WALLET = "Send 0.1 ETH to 0x52908400098527886E0F7030069857D2E4169EE7 and get 0.2 ETH back!"
ORDINARY = "Hi! Practice moved to 5pm tomorrow. Bring water."
JSON_KEYS = {"verdict", "flags", "matches", "links", "phones", "emails", "wallets", "unchecked"}


@pytest.fixture
def env(real_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(KNOWLEDGE))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(real_index_dir))


@pytest.fixture
def checker(env: None) -> MessageChecker:
    settings = load_settings()
    return open_checker(settings, open_retriever(settings))


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["check", "--json", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    obj: dict[str, Any] = json.loads(lines[0])
    assert set(obj) == JSON_KEYS
    return obj


def test_check_json(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    obj = run_json(capsys, PARCEL)
    assert obj["verdict"] == "scam"
    flags = {f["id"]: f["span"] for f in obj["flags"]}
    assert {"parcel-fee", "urgency", "suspicious-link"} <= set(flags)
    for span in flags.values():
        assert PARCEL[span["start"] : span["end"]] == span["text"]
    assert obj["links"][0]["domain"] == "dhl-redelivery.top" and obj["links"][0]["risky"]
    assert all(set(m) == {"id", "score"} for m in obj["matches"])


def test_check_file_and_wallets(
    env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "msg.txt"
    path.write_text(WALLET, encoding="utf-8")
    obj = run_json(capsys, "--file", str(path))
    assert obj["wallets"][0]["chain"] == "ETH"
    assert "crypto-giveaway" in {f["id"] for f in obj["flags"]}
    assert obj["matches"][0]["id"] == "crypto-giveaway-scam"


def test_check_text_output_and_bad_arguments(
    env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", ORDINARY]) == 0
    assert "does not mean it is safe" in capsys.readouterr().out
    assert main(["check"]) == 1
    assert "TEXT or with --file" in capsys.readouterr().err
    assert main(["check", "--file", "/nonexistent/msg.txt"]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_patterns_and_embedding_each_find_flags(checker: MessageChecker) -> None:
    text = "Please tell me the six digit code we just sent to your phone."
    both = checker.check(text)
    checker.config = replace(checker.config, use_patterns=False)
    by_embedding = checker.check(text)
    checker.config = replace(checker.config, use_patterns=True, use_embedding=False)
    by_patterns = checker.check(text)
    assert "asks-verification-code" in by_patterns.flag_ids()
    assert [h.by for h in by_patterns.flags] == ["pattern"] * len(by_patterns.flags)
    assert by_patterns.matches == () or by_patterns.matches[0].score >= 0
    assert set(by_patterns.flag_ids()) <= set(both.flag_ids())
    assert all(h.by == "embedding" for h in by_embedding.flags)


def test_a_wrong_number_paraphrase_is_caught_by_the_embedder(checker: MessageChecker) -> None:
    checker.config = replace(checker.config, use_patterns=False, flag_similarity=0.55)
    result = checker.check("Sorry, that message was meant for someone else, my mistake!")
    assert result.flag_ids() == ("wrong-number-opener",)
    assert result.flags[0].by == "embedding" and 0.55 <= result.flags[0].score < 1
    assert checker.check(ORDINARY).flags == ()


def test_an_ordinary_message_has_no_verdict_and_says_what_it_cannot_check(
    checker: MessageChecker,
) -> None:
    result = checker.check(ORDINARY)
    assert result.verdict is Verdict.NONE and result.flags == ()
    assert any("did not open any link" in line for line in result.unchecked)


# --- evaluation script ------------------------------------------------------------------------


@pytest.fixture
def evaluate_messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "evaluate_messages", ROOT / "scripts" / "evaluate_messages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_evaluate_messages_json(
    env: None, tmp_path: Path, evaluate_messages: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        {"text": PARCEL, "scam": True, "expect": "phishing-links-qr", "also": [],
         "flags": ["parcel-fee", "urgency"], "lang": "en"},
        {"text": WALLET, "scam": True, "expect": "crypto-giveaway-scam", "also": [],
         "flags": ["crypto-giveaway"], "lang": "en"},
        {"text": ORDINARY, "scam": False, "expect": None, "also": [], "flags": [], "lang": "en"},
        {"text": "您好，您的验证码是123456，请勿泄露。", "scam": False, "expect": None,
         "flags": [], "lang": "zh-Hans"},
    ]  # fmt: skip
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump(cases, allow_unicode=True), encoding="utf-8")
    assert evaluate_messages.main([str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    metrics = report["metrics"]
    assert metrics["n"] == 4 and metrics["detection_recall"] == 1.0
    assert metrics["false_alarm"] == 0.0 and metrics["type_top3"] == 1.0
    assert 0 < metrics["latency_ms_p50"] <= metrics["latency_ms_p95"]
    assert report["per_flag"]["parcel-fee"] == {"precision": 1.0, "recall": 1.0, "support": 1}
    assert set(report["per_lang"]) == {"en", "zh-Hans"}
    assert evaluate_messages.main([str(path), "--mode", "patterns"]) == 0
    assert "| detection_recall |" in capsys.readouterr().out


def test_evaluate_messages_rejects_a_bad_case(
    env: None, tmp_path: Path, evaluate_messages: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("- text: hello\n  scam: maybe\n", encoding="utf-8")
    assert evaluate_messages.main([str(path)]) == 1
    assert "case 1 needs scam: true or false" in capsys.readouterr().err


# --- pasted messages and the console ------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev_questions.yaml", "dev_questions_zh.yaml"])
def test_questions_stay_questions(name: str, kb: Any) -> None:
    from bot.checking.patterns import PatternMatcher

    patterns = PatternMatcher(kb.flags)
    cases = yaml.safe_load((ROOT / "tests" / "data" / name).read_text(encoding="utf-8"))
    pasted = [c["q"] for c in cases if looks_like_message(c["q"], len(patterns.find(c["q"])))]
    assert len(pasted) / len(cases) <= 0.015, pasted


SF_EXPRESS = "【顺丰】您的包裹无法派送，请点击 sf-kd.top 补缴运费"


@pytest.mark.parametrize("text", [PARCEL, WALLET.replace("!", "!\nReply fast"), SF_EXPRESS])
def test_pasted_messages_read_as_messages(text: str) -> None:
    assert looks_like_message(text)


async def test_console_check_with_a_multi_line_paste(
    real_index_dir: Path, tmp_path: Path, real_embedder: Any, env: None
) -> None:
    from bot.app import open_services

    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
    services = await open_services(settings, real_embedder)
    try:
        chat = ConsoleChat(services.conversation)
        assert await chat.handle("/check") == [PASTE_PROMPT]
        for line in PARCEL.splitlines():
            assert await chat.handle(line) == []
        [block] = await chat.handle("")
        assert block.startswith("🚨 This looks like a scam.") and "dhl-redelivery.top" in block
        assert "Where to report and hotlines" in block  # the hotline button, numbered
        [again] = await chat.handle(f"/check {ORDINARY}")
        assert "does not mean it is safe" in again
    finally:
        await services.aclose()
