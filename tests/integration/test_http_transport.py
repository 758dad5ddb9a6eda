"""Retries and transport errors over real loopback sockets.

A scripted HTTP server answers each request with the next step of a script, so
the number of attempts and the delays between them are observed, not assumed.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

import basecrm_like
from basecrm_like import Client, RateLimitError
from tests.support.clients import client_kind, make_client

__all__ = ["client_kind", "make_client"]  # fixtures: every test here runs on both clients

TOKEN = "z" * 64
DROP = "drop"


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.script: list[Any] = []
        self.attempts: list[str] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_step(self, method: str) -> Any:
        with self.lock:
            self.attempts.append(method)
            return self.script.pop(0) if self.script else (200, {}, {"data": {"id": 1}})


class ScriptedHandler(BaseHTTPRequestHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        step = self.server.next_step(self.command)
        if step == DROP:
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        status, headers, body = step
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses between attempts, recorded instead of slept (either client's)."""
    recorded: list[float] = []

    async def pause(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr("urllib3.util.retry.time.sleep", recorded.append)
    monkeypatch.setattr("basecrm_like.http.async_transport.pause", pause)
    return recorded


ClientFor = Callable[..., Client]


@pytest.fixture
def client_for(make_client: Callable[..., Client]) -> ClientFor:
    """``client_for(server, **options)``: the blocking or the async client for ``server``."""
    def build(server: ScriptedServer | None, **options: Any) -> Client:
        options.setdefault("max_retries", 3)
        options.setdefault("base_url", server.url if server is not None else "")
        return make_client(access_token=TOKEN, **options)

    return build


def test_dropped_connection_retried_for_get(server: ScriptedServer, sleeps: list[float],
        client_for: ClientFor) -> None:
    server.script = [DROP, DROP]
    assert client_for(server).contacts.retrieve(1).id == 1
    assert server.attempts == ["GET"] * 3


def test_dropped_connection_not_retried_for_post(server: ScriptedServer, sleeps: list[float],
        client_for: ClientFor) -> None:
    server.script = [DROP]
    with pytest.raises(basecrm_like.ConnectionError) as info:
        client_for(server).contacts.create(last_name="X")
    assert isinstance(info.value, requests.exceptions.ConnectionError)
    assert server.attempts == ["POST"]
    assert "POST /v2/contacts" in str(info.value) and TOKEN not in str(info.value)


def test_put_and_delete_are_retried_on_503(server: ScriptedServer, sleeps: list[float],
        client_for: ClientFor) -> None:
    server.script = [(503, {}, b"busy"), (200, {}, {"data": {"id": 1}}), (503, {}, b"busy"),
                     (204, {}, b"")]
    client = client_for(server)
    client.contacts.update(1, last_name="Y")
    assert client.contacts.destroy(1) is True
    assert server.attempts == ["PUT", "PUT", "DELETE", "DELETE"]
    assert len(sleeps) == 2


def test_retry_after_is_honoured_for_post(server: ScriptedServer, sleeps: list[float],
        client_for: ClientFor) -> None:
    server.script = [(429, {"Retry-After": "3"}, {"errors": [], "meta": {}})]
    assert client_for(server).contacts.create(last_name="X").id == 1
    assert server.attempts == ["POST", "POST"]
    assert sleeps == [3.0]


def test_backoff_without_retry_after(server: ScriptedServer, sleeps: list[float],
        client_for: ClientFor) -> None:
    server.script = [(429, {}, {"errors": []})] * 3
    client_for(server, backoff_factor=0.2).contacts.list()
    assert len(server.attempts) == 4
    assert 0.1 <= sleeps[0] <= 0.2 and 0.2 <= sleeps[1] <= 0.4 and 0.4 <= sleeps[2] <= 0.8


def test_rate_limit_after_retries_is_typed(server: ScriptedServer, sleeps: list[float],
        client_for: ClientFor) -> None:
    server.script = [(429, {"Retry-After": "1"}, {"errors": [{"error": {"code": "rate_limit_exceeded"}}]})] * 2
    with pytest.raises(RateLimitError) as info:
        client_for(server, max_retries=1).contacts.list()
    assert info.value.retry_after == 1.0
    assert len(server.attempts) == 2


def test_connection_refused_is_a_typed_connection_error(sleeps: list[float],
                                                        client_for: ClientFor) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = client_for(server=None, base_url=f"http://127.0.0.1:{port}", max_retries=2)
    with pytest.raises(basecrm_like.ConnectionError) as info:
        client.contacts.create(last_name="X")
    assert "cannot reach" in str(info.value)
    assert len(sleeps) == 2  # connect failures are retried even for POST


def test_timeout_is_a_typed_timeout(server: ScriptedServer, client_for: ClientFor) -> None:
    def slow(method: str) -> Any:
        time.sleep(0.5)
        return (200, {}, {"data": {"id": 1}})

    server.next_step = slow  # type: ignore[method-assign]
    client = client_for(server, timeout=0.1, max_retries=0)
    with pytest.raises(basecrm_like.TimeoutError) as info:
        client.contacts.retrieve(1)
    assert isinstance(info.value, requests.exceptions.Timeout)
    assert "timed out" in str(info.value)


def test_connections_are_reused(server: ScriptedServer) -> None:
    client = Client(access_token=TOKEN, base_url=server.url, max_retries=3)
    for _ in range(20):
        client.contacts.retrieve(1)
    pool = client.http_client.session.get_adapter(server.url).poolmanager
    conns = [p for p in pool.pools._container.values()]
    assert len(conns) == 1
    assert conns[0].num_connections == 1
