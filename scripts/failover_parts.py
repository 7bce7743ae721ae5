"""The pieces of the failover run (scripts/failover.py): a fake Telegram and a proxy on loopback.

- `FakeTelegram` is the Bot API over HTTP, shared by every replica (one message and poll id
  counter, as with the real Telegram), answering with the JSON of `bot.telegram.offline`, and
  Telegram's webhook delivery: it POSTs each update to the proxy with the secret header and,
  as Telegram does, delivers it again after a pause when the answer is not a 200 (an error
  status, a reset connection, a timeout).
- `Proxy` runs Debian's nginx in front of the replicas when it is installed (passing a request
  to the other replica when one refuses the connection or fails), else a small forwarding proxy
  in this process with the same rule; `Proxy.kind` says which ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tornado.httpserver
import tornado.web

from bot.telegram.offline import OfflineRequest

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram retries a failed delivery after a pause that grows; these are shorter, for a test.
REDELIVERY_PAUSES_S = (0.5, 1.0, 2.0, 3.0)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _param(value: str) -> Any:
    """A form value as PTB sends it: JSON for numbers, booleans, lists and objects."""
    head = value[:1]
    if head in "[{" or value in ("true", "false") or value.lstrip("-").isdigit():
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


@dataclass
class ApiCall:
    """One Bot API call a replica made."""

    method: str
    params: dict[str, Any]
    result: Any
    at: float

    @property
    def chat_id(self) -> int | None:
        chat = self.params.get("chat_id")
        return (
            int(chat) if isinstance(chat, int | str) and str(chat).lstrip("-").isdigit() else None
        )

    def buttons(self) -> list[str]:
        """Callback data of the inline keyboard sent with this call."""
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = _param(markup)
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class Delivery:
    """Counts of webhook deliveries."""

    updates: int = 0
    attempts: int = 0
    redelivered: int = 0
    given_up: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


class FakeTelegram:
    """The Bot API on loopback for every replica, and the webhook delivery of updates."""

    def __init__(self, token: str, secret: str) -> None:
        self.token = token
        self.secret = secret
        self.calls: list[ApiCall] = []
        self.delivery = Delivery()
        self.webhook_url = ""
        self._json = OfflineRequest(keep_calls=False)  # builds the Message/Poll JSON
        self._changed = asyncio.Condition()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._client: httpx.AsyncClient | None = None
        self.port = 0
        self.on_call: Callable[[ApiCall], None] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, webhook_url: str, connections: int = 40) -> None:
        """Listen for Bot API calls; deliver updates to `webhook_url` (the proxy)."""
        self.webhook_url = webhook_url
        routes = [(r"/bot([^/]+)/(\w+)", _ApiHandler, {"telegram": self})]
        self._server = tornado.httpserver.HTTPServer(tornado.web.Application(routes))
        self.port = free_port()
        self._server.listen(self.port, "127.0.0.1")
        limits = httpx.Limits(max_connections=connections)  # Telegram's max_connections
        self._client = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(15.0))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._client is not None:
            await self._client.aclose()

    async def record(self, method: str, params: dict[str, Any]) -> Any:
        """Answer one Bot API call as Telegram would, and remember it."""
        result = self._json._result(method, params)  # the offline JSON builder
        call = ApiCall(method, params, result, time.monotonic())
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)
        async with self._changed:
            self._changed.notify_all()
        return result

    async def wait_for(
        self, match: Callable[[ApiCall], bool], start: int, timeout: float
    ) -> ApiCall | None:
        """The first call from index `start` on that matches, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for call in self.calls[seen:]:
                if match(call):
                    return call
            seen = len(self.calls)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)

    async def deliver(self, update: dict[str, Any], give_up_after_s: float = 60.0) -> bool:
        """POST an update until a replica answers 200, as Telegram re-delivers; False if never."""
        assert self._client is not None
        self.delivery.updates += 1
        deadline = time.monotonic() + give_up_after_s
        for attempt in range(1_000):
            self.delivery.attempts += 1
            if attempt:
                self.delivery.redelivered += 1
            status = await self._post(update)
            self.delivery.statuses[status] = self.delivery.statuses.get(status, 0) + 1
            if status == "200":
                return True
            if time.monotonic() > deadline:
                break
            pause = REDELIVERY_PAUSES_S[min(attempt, len(REDELIVERY_PAUSES_S) - 1)]
            await asyncio.sleep(pause)
        self.delivery.given_up += 1
        return False

    async def _post(self, update: dict[str, Any]) -> str:
        assert self._client is not None
        headers = {SECRET_HEADER: self.secret, "Content-Type": "application/json"}
        try:
            response = await self._client.post(self.webhook_url, json=update, headers=headers)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return str(response.status_code)


class _ApiHandler(tornado.web.RequestHandler):
    """POST /bot<token>/<method>: one Bot API call."""

    def initialize(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram

    async def post(self, token: str, method: str) -> None:
        if token != self.telegram.token:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            params = json.loads(self.request.body or b"{}")
        else:
            form = urllib.parse.parse_qs(self.request.body.decode(), keep_blank_values=True)
            params = {k: _param(v[-1]) for k, v in form.items()}
        result = await self.telegram.record(method, params)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": True, "result": result}))

    get = post


# --- the proxy ----------------------------------------------------------------------------------

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream scamwise {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://scamwise;
            # A replica that is down refuses the connection: try the other one. An update that
            # reached a replica which then died is retried too (non_idempotent): the replicas
            # remember handled update ids in the database, so a second delivery is harmless.
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


def find_nginx() -> str | None:
    """Debian's nginx binary, if installed."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


class Proxy:
    """nginx in front of the replicas, or an in-process forwarding proxy when nginx is absent."""

    def __init__(self, folder: Path, backends: list[int]) -> None:
        self.folder = folder
        self.backends = backends
        self.port = free_port()
        self.kind = ""
        self._nginx: subprocess.Popen[bytes] | None = None
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        nginx = find_nginx()
        if nginx is not None:
            await self._start_nginx(nginx)
        else:
            await self._start_python()

    async def _start_nginx(self, binary: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in self.backends
        )
        user = "user root;" if os.geteuid() == 0 else ""
        conf = NGINX_CONF.format(folder=self.folder, servers=servers, port=self.port, user=user)
        (self.folder / "nginx.conf").write_text(conf)
        log = (self.folder / "nginx.out").open("wb")
        self._nginx = subprocess.Popen(
            [binary, "-c", str(self.folder / "nginx.conf"), "-p", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.kind = f"nginx ({binary})"
        await _wait_listening(self.port, 10.0)

    async def _start_python(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.kind = "in-process forwarding proxy (nginx not installed)"

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one HTTP request; pass it to a backend, the next one if the first fails."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            request = head.replace(b"Connection: keep-alive", b"Connection: close") + body
            answer = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            start = int(time.monotonic() * 1000) % len(self.backends)
            for i in range(len(self.backends)):
                port = self.backends[(start + i) % len(self.backends)]
                with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                    got = await _exchange(port, request)
                    if got and not got.startswith((b"HTTP/1.1 502", b"HTTP/1.1 503")):
                        answer = got
                        break
            writer.write(answer)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._nginx is not None:
            self._nginx.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._nginx.wait(timeout=10)
            if self._nginx.poll() is None:
                self._nginx.kill()
        if self._server is not None:
            self._server.close()


async def _exchange(port: int, request: bytes) -> bytes:
    """Send one request to a backend and read its whole answer."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1.0)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30.0)
    finally:
        writer.close()


async def _wait_listening(port: int, timeout: float) -> None:
    """Wait until something accepts connections on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")
