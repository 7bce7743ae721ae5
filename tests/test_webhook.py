"""Webhook mode: the secret header is required, and /healthz answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram_harness import FakeRequest, Updates, telegram_settings

from bot.telegram.app import build_application
from bot.telegram.runner import webhook_path
from bot.telegram.webhook import MAX_BODY_BYTES, SECRET_HEADER, running_webhook

SECRET = "s3cret-Hook_value"
HOOK_URL = "https://bot.example.org/tg/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_needs_the_secret_and_health_answers(
    tmp_path: Path, real_index_dir: Path, real_embedder: Any
) -> None:
    port = free_port()
    settings = telegram_settings(
        tmp_path, real_index_dir, webhook_url=HOOK_URL, webhook_listen="127.0.0.1",
        webhook_port=port, webhook_secret=SECRET,
    )  # fmt: skip
    request = FakeRequest()
    application = build_application(settings, request, request, embedder=real_embedder)
    updates = Updates()
    async with running_webhook(application, settings, webhook_path(HOOK_URL), SECRET):
        [registered] = request.of("setWebhook")
        assert registered.params["url"] == HOOK_URL
        assert registered.params["secret_token"] == SECRET
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            health = await client.get(f"{base}/healthz")
            assert health.status_code == 200
            assert health.json()["status"] == "ok" and health.json()["entries"] > 40
            for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
                refused = await client.post(
                    f"{base}/tg/hook", json=updates.command("help"), headers=headers
                )
                assert refused.status_code == 403
            garbage = await client.post(
                f"{base}/tg/hook", content=b"not json", headers={SECRET_HEADER: SECRET}
            )
            assert garbage.status_code == 400
            accepted = await client.post(
                f"{base}/tg/hook", json=updates.command("help"), headers={SECRET_HEADER: SECRET}
            )
            assert accepted.status_code == 200
        for _ in range(250):
            if request.of("sendMessage"):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        assert len(request.of("sendMessage")) == 1  # only the request with the secret
    assert not application.running


async def test_wrong_bodies_get_400_or_413_duplicates_once_and_no_traceback(
    tmp_path: Path, fake_index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import FakeEmbedder

    port = free_port()
    settings = telegram_settings(
        tmp_path, fake_index_dir, webhook_url=HOOK_URL, webhook_listen="127.0.0.1",
        webhook_port=port, webhook_secret=SECRET,
    )  # fmt: skip
    request = FakeRequest()
    application = build_application(settings, request, request, embedder=FakeEmbedder())
    errors: list[object] = []

    async def record(update: object, context: Any) -> None:
        errors.append(context.error)

    application.add_error_handler(record)
    updates = Updates()
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    nested = b"[" * 100_000 + b"]" * 100_000
    wrong = [b"null", b"[]", b"[1, 2]", b'"a string"', b"5", b"{}", b'{"update_id": "7"}',
             b'{"update_id": true}', nested,
             b'{"update_id": 1, "message": ' + nested + b"}"]  # fmt: skip
    no_chat = updates.command("help")
    del no_chat["message"]["chat"]
    no_sender = updates.callback("menu")
    del no_sender["callback_query"]["from"]
    async with running_webhook(application, settings, webhook_path(HOOK_URL), SECRET):
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with httpx.AsyncClient(trust_env=False, timeout=20) as client:
            for body in wrong:
                answer = await client.post(url, content=body, headers=headers)
                assert answer.status_code == 400, (body[:40], answer.status_code)
            big = b'{"update_id": 9, "x": "' + b"a" * MAX_BODY_BYTES + b'"}'
            assert (await client.post(url, content=big, headers=headers)).status_code == 413
            for skipped in (no_chat, no_sender):
                assert (await client.post(url, json=skipped, headers=headers)).status_code == 200
            help_update = updates.command("help")
            for _ in range(3):  # Telegram re-delivers when our 200 came late
                answer = await client.post(url, json=help_update, headers=headers)
                assert answer.status_code == 200
        for _ in range(250):
            if request.of("sendMessage"):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
    assert len(request.of("sendMessage")) == 1  # the duplicate is answered once
    assert errors == []
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_two_replicas_answer_an_update_once_and_report_database_and_jobs(
    tmp_path: Path, fake_index_dir: Path, database_url: str
) -> None:
    """Behind a proxy a re-delivery may reach the other replica: it is still answered once."""
    from tests.conftest import FakeEmbedder

    replicas = []
    for name in ("a", "b"):
        port = free_port()
        settings = telegram_settings(
            tmp_path / name, fake_index_dir, webhook_url=HOOK_URL, webhook_listen="127.0.0.1",
            webhook_port=port, webhook_secret=SECRET, database_url=database_url,
        )  # fmt: skip
        request = FakeRequest()
        application = build_application(settings, request, request, embedder=FakeEmbedder())
        replicas.append((f"http://127.0.0.1:{port}/tg/hook", port, request, application, settings))
    updates = Updates()
    headers = {SECRET_HEADER: SECRET}
    async with contextlib.AsyncExitStack() as stack:
        for _, _, _, application, settings in replicas:
            await stack.enter_async_context(
                running_webhook(application, settings, webhook_path(HOOK_URL), SECRET)
            )
        async with httpx.AsyncClient(trust_env=False, timeout=20) as client:
            once = updates.command("help")
            for url, *_ in [*replicas, *replicas]:  # a, b, a, b
                assert (await client.post(url, json=once, headers=headers)).status_code == 200
            ten = [updates.command("help") for _ in range(10)]
            at_once = [(u, url) for u in ten for url, *_ in replicas]
            answers = await asyncio.gather(
                *(client.post(url, json=u, headers=headers) for u, url in at_once)
            )
            # The replica that lost the race answers 503 (busy) while the other handles the
            # update, or 200 (done) after; Telegram delivers a 503 again later.
            assert {a.status_code for a in answers} <= {200, 503}
            by_update: dict[int, set[int]] = {}
            for (u, _), a in zip(at_once, answers, strict=True):
                by_update.setdefault(u["update_id"], set()).add(a.status_code)
            assert all(200 in codes for codes in by_update.values()), by_update
            for u, url in at_once:  # the re-deliveries: done now, acknowledged
                assert (await client.post(url, json=u, headers=headers)).status_code == 200
            health = [(await client.get(f"http://127.0.0.1:{port}/healthz")).json()
                      for _, port, *_ in replicas]  # fmt: skip
        sent = lambda: sum(len(r.of("sendMessage")) for _, _, r, _, _ in replicas)  # noqa: E731
        for _ in range(250):
            if sent() >= 11:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert sent() == 11  # 1 + 10 updates, each delivered to both replicas
    assert [h["database"] for h in health] == ["ok", "ok"]
    jobs = sorted(h["jobs"] for h in health)
    assert jobs == (["leader", "standby"] if "postgresql" in database_url else ["leader"] * 2)


async def test_health_is_503_while_the_database_does_not_answer(
    tmp_path: Path, fake_index_dir: Path, pg_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import FakeEmbedder

    name = f"health_{uuid.uuid4().hex[:12]}"
    port = free_port()
    settings = telegram_settings(
        tmp_path, fake_index_dir, webhook_url=HOOK_URL, webhook_listen="127.0.0.1",
        webhook_port=port, webhook_secret=SECRET, database_url=pg_server.create_database(name),
    )  # fmt: skip
    request = FakeRequest()
    application = build_application(settings, request, request, embedder=FakeEmbedder())
    health_url = f"http://127.0.0.1:{port}/healthz"
    async with (
        running_webhook(application, settings, webhook_path(HOOK_URL), SECRET),
        httpx.AsyncClient(trust_env=False, timeout=20) as client,
    ):
        assert (await client.get(health_url)).status_code == 200
        pg_server.psql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        pg_server.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE datname = '{name}'")  # fmt: skip
        down = await client.get(health_url)
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "database unreachable" and body["database"] == "unreachable"
        assert name in caplog.text  # the details are logged (the URL without its password)
        update = Updates().command("help")  # an update now gets 503: Telegram retries it
        hook = f"http://127.0.0.1:{port}/tg/hook"
        refused = await client.post(hook, json=update, headers={SECRET_HEADER: SECRET})
        assert refused.status_code == 503
        pg_server.psql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert (await client.get(health_url)).status_code == 200
        again = await client.post(hook, json=update, headers={SECRET_HEADER: SECRET})
        assert again.status_code == 200
        for _ in range(250):
            if request.of("sendMessage"):
                break
            await asyncio.sleep(0.02)
    assert len(request.of("sendMessage")) == 1
