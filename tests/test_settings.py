"""Settings: read from the environment and .env, validated, every one listed in .env.example."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.settings
from bot.errors import SettingsError
from bot.settings import Settings, env_name, load_settings

ROOT = Path(__file__).resolve().parent.parent


def _example_keys() -> dict[str, str]:
    keys = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            keys[name] = value
    return keys


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    assert set(_example_keys()) == {env_name(f) for f in Settings.model_fields}


def test_env_example_shows_the_real_defaults(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"))
    assert load_settings() == Settings(_env_file=None)


@pytest.mark.parametrize(
    "name,value",
    [
        ("SCAMWISE_DECLINE_THRESHOLD", "high"),
        ("SCAMWISE_DECLINE_THRESHOLD", "1.5"),
        ("SCAMWISE_AMBIGUITY_MARGIN", "-0.1"),
        ("SCAMWISE_LOW_CONFIDENCE_MARGIN", "x"),
        ("SCAMWISE_BATCH_MAX_SIZE", "0"),
        ("SCAMWISE_BATCH_MAX_WAIT_MS", "-1"),
        ("SCAMWISE_SEARCH_WORKERS", "0"),
        ("SCAMWISE_SEARCH_WORKERS", "two"),
        ("SCAMWISE_RETENTION_DAYS", "0"),
        ("SCAMWISE_FLOOD_LIMIT", "ten"),
        ("SCAMWISE_FLOOD_WINDOW_S", "0"),
        ("SCAMWISE_ADMIN_IDS", "12,abc"),
        ("SCAMWISE_LOG_LEVEL", "LOUD"),
        ("SCAMWISE_WEBHOOK_URL", "http://example.org/hook"),
        ("SCAMWISE_WEBHOOK_PORT", "70000"),
        ("SCAMWISE_WEBHOOK_SECRET", "has spaces!"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value)


def test_values_are_parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCAMWISE_ADMIN_IDS", "12, 34 56")
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.admin_ids == {12, 34, 56}
    assert settings.index_path == tmp_path / "index"


@pytest.mark.parametrize("workers,threads", [(None, 1), ("1", 4), ("2", 2), ("3", 1), ("8", 1)])
def test_search_workers_share_the_cores(
    monkeypatch: pytest.MonkeyPatch, workers: str | None, threads: int
) -> None:
    monkeypatch.setattr(bot.settings, "usable_cores", lambda: 4)
    if workers is not None:
        monkeypatch.setenv("SCAMWISE_SEARCH_WORKERS", workers)
    settings = load_settings()
    assert settings.search_worker_count == (int(workers) if workers else 4)
    assert settings.encoder_threads == threads


def test_token_from_file_and_never_in_the_summary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token = "123456:ABCdefGhIJKlmnOPQ_rstuVWXyz-0123456"
    (tmp_path / "token").write_text(token + "\n")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_FILE", str(tmp_path / "token"))
    settings = load_settings()
    assert settings.bot_token() == token
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    settings = load_settings()
    assert token not in repr(settings) and token not in str(settings.secret_free_summary())


def test_unreadable_token_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN_FILE"):
        load_settings().bot_token()
