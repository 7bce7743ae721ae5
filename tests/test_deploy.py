"""Deployment files, `doctor` and `health`. No Docker engine here: the files are checked."""

from __future__ import annotations

import asyncio
import os
import re
import time
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.search.index import read_meta
from bot.settings import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
KNOWN_VARIABLES = {env_name(f) for f in Settings.model_fields}
# Variables only Compose reads (for the ha profile), listed commented out in .env.example.
COMPOSE_VARIABLES = {"POSTGRES_PASSWORD", "SCAMWISE_PUBLIC_HOST"}
BOT_SERVICES = ("bot", "bot-a", "bot-b")  # services that run the ScamWise image


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_a_bot_and_a_one_shot_index_service(compose: dict) -> None:
    bot, index = compose["services"]["bot"], compose["services"]["index"]
    assert bot["restart"] in {"unless-stopped", "always", "on-failure"}
    assert bot["profiles"] == ["single"] and index["profiles"] == ["tools"]
    assert "restart" not in index
    assert index["command"][-1] == "scripts/build_index.py"


def test_compose_keeps_the_database_on_a_named_volume(compose: dict) -> None:
    bot = compose["services"]["bot"]
    url = bot["environment"]["SCAMWISE_DATABASE_URL"]
    database_dir = str(Path(url.split("///", 1)[1]).parent)
    mounts = {m.split(":")[1]: m.split(":")[0] for m in bot["volumes"]}
    assert mounts[database_dir] in compose["volumes"]


def test_compose_token_comes_from_env_or_secret(compose: dict) -> None:
    secret = compose["secrets"]["telegram_bot_token"]
    assert secret.get("environment") == "TELEGRAM_BOT_TOKEN" or Path(secret["file"]).exists()
    for name in BOT_SERVICES:
        bot = compose["services"][name]
        assert bot["secrets"] == ["telegram_bot_token"], name
        assert bot["environment"]["TELEGRAM_BOT_TOKEN"] == "", name
        assert bot["environment"]["TELEGRAM_BOT_TOKEN_FILE"] == "/run/secrets/telegram_bot_token"


def test_compose_ha_profile_is_postgres_two_webhook_replicas_and_a_proxy(compose: dict) -> None:
    services = compose["services"]
    ha = {name for name, s in services.items() if s.get("profiles") == ["ha"]}
    assert ha == {"postgres", "bot-a", "bot-b", "proxy"}
    postgres = services["postgres"]
    assert postgres["volumes"][0].split(":")[0] in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    a, b = services["bot-a"], services["bot-b"]
    assert a == b  # one definition, two replicas
    env = a["environment"]
    assert env["SCAMWISE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["SCAMWISE_WEBHOOK_URL"].startswith("https://")
    assert "SCAMWISE_WEBHOOK_SECRET" in env["SCAMWISE_WEBHOOK_SECRET"]  # from .env, required
    assert a["depends_on"]["postgres"]["condition"] == "service_healthy"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    port = env["SCAMWISE_WEBHOOK_PORT"]
    assert f"bot-a:{port} bot-b:{port}" in caddyfile and "health_uri /healthz" in caddyfile
    assert "/telegram" in caddyfile and env["SCAMWISE_WEBHOOK_URL"].endswith("/telegram")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for variable in COMPOSE_VARIABLES:
        assert f"# {variable}=" in example, variable


def test_compose_references_only_existing_files_and_settings(compose: dict) -> None:
    for name, service in compose["services"].items():
        if "build" in service:  # our image (postgres and caddy have variables of their own)
            assert (ROOT / service["build"] / "Dockerfile").is_file(), name
            for variable in service.get("environment", {}):
                assert variable in KNOWN_VARIABLES, (name, variable)
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), (name, source)
            else:
                assert source in compose["volumes"], (name, source)
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for variable in re.findall(r"\$\{(\w+)", text):
        assert variable in KNOWN_VARIABLES | COMPOSE_VARIABLES, variable


def test_dockerfile_is_slim_cpu_non_root_with_index_and_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert "whl/cpu" in text and "torch==" in text
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert "scripts/build_index.py" in text
    assert re.search(r"^HEALTHCHECK .*", text, re.M) and '"health"' in text
    for source in re.findall(r"^COPY (\S+)", text, re.M):
        assert (ROOT / source).exists(), source
    for variable in re.findall(r"(SCAMWISE_\w+)=", text):
        assert variable in KNOWN_VARIABLES, variable


def test_health_follows_the_heartbeat(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    beat = tmp_path / "beat"
    monkeypatch.setenv("SCAMWISE_HEARTBEAT_FILE", str(beat))
    assert main(["health"]) == 1
    beat.touch()
    assert main(["health"]) == 0
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert main(["health", "--max-age", "90"]) == 1


@pytest.fixture
def good_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, real_index_dir: Path) -> None:
    monkeypatch.setenv("SCAMWISE_KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    monkeypatch.setenv("SCAMWISE_INDEX_DIR", str(real_index_dir))
    monkeypatch.setenv("SCAMWISE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")


def test_doctor_passes_on_a_good_setup(
    good_env: None, capsys: pytest.CaptureFixture, real_index_dir: Path
) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and out.count("[ok  ]") == 6
    meta = read_meta(real_index_dir)
    assert f"(ONNX Runtime, {meta.encoder_file}) gives 384-dimensional vectors" in out


@pytest.mark.parametrize(
    "variable,value,failing,fix",
    [
        ("SCAMWISE_INDEX_DIR", "{tmp}/no-index", "index", "build_index.py"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token", "telegram", "@BotFather"),
        ("SCAMWISE_DATABASE_URL", "sqlite+aiosqlite:///{tmp}/file/db.sqlite3", "database", ""),
        ("SCAMWISE_FLOOD_LIMIT", "many", "settings", "SCAMWISE_FLOOD_LIMIT"),
    ],
)
def test_doctor_names_what_is_wrong_and_how_to_fix_it(
    good_env: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    variable: str,
    value: str,
    failing: str,
    fix: str,
) -> None:
    (tmp_path / "file").write_text("a file where a folder should be")
    monkeypatch.setenv(variable, value.format(tmp=tmp_path))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("[FAIL]")]
    assert len(failed) == 1 and failed[0].startswith(f"[FAIL] {failing}:")
    assert fix in out
    assert "not-a-token" not in out


async def test_the_running_bot_keeps_the_heartbeat_fresh(
    tmp_path: Path, real_index_dir: Path, real_embedder
) -> None:  # type: ignore[no-untyped-def]
    from telegram_harness import FakeRequest, running, telegram_settings

    from bot.health import age_seconds
    from bot.telegram.app import build_application
    from bot.telegram.runner import stop_heartbeat, with_heartbeat

    beat = tmp_path / "beat"
    settings = telegram_settings(tmp_path, real_index_dir, heartbeat_file=beat)
    request = FakeRequest()
    application = build_application(settings, request, request, embedder=real_embedder)
    application.post_init = with_heartbeat(application.post_init, settings)
    async with running(application):
        for _ in range(200):
            if beat.exists():
                break
            await asyncio.sleep(0.01)
        age = age_seconds(beat)
        assert age is not None and age < 60
        task = application.bot_data["heartbeat-task"]
        await stop_heartbeat(application)
        assert task.cancelled()
