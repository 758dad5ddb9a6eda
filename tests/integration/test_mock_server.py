"""The mock as a server: command line, ready line, persistence, concurrency,
rate limiting and fault injection, over real sockets on loopback."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import requests

from basecrm_like.mock import DEV_TOKEN, serve

HEADERS = {"Authorization": f"Bearer {DEV_TOKEN}", "User-Agent": "mock-tests/1.0"}


class Cli:
    """``python -m basecrm_like.mock`` as a subprocess, read up to its ready line."""

    def __init__(self, *args: str) -> None:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "basecrm_like.mock", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        self.line = self.proc.stdout.readline().strip()
        self.startup = time.perf_counter() - started
        assert self.line.startswith("listening on http://127.0.0.1:"), (
            self.line, self.proc.stderr.read() if self.proc.stderr else "")
        self.url = self.line.removeprefix("listening on ")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def cli_server() -> Iterator[Cli]:
    server = Cli("--seed", "3")
    yield server
    if server.proc.poll() is None:
        server.stop()


def test_ready_line_and_port_zero(cli_server: Cli) -> None:
    port = int(cli_server.url.rsplit(":", 1)[1])
    assert port > 0
    assert cli_server.line == f"listening on http://127.0.0.1:{port}"
    resp = requests.get(cli_server.url + "/v2/contacts", headers=HEADERS, timeout=10)
    assert resp.status_code == 200 and resp.json()["meta"]["count"] == 3
    assert cli_server.stop() == 0
    assert cli_server.proc.stdout is not None
    assert cli_server.proc.stdout.read() == ""  # exactly one line
    print(f"\ncommand line ready in {cli_server.startup:.3f} s (including interpreter start)")


def test_ctrl_c_stops_cleanly(cli_server: Cli) -> None:
    assert cli_server.stop(signal.SIGINT) == 0


def test_tokens_option_replaces_the_dev_token() -> None:
    server = Cli("--token", "a" * 64, "--token", "b" * 64)
    try:
        for token, status in (("a" * 64, 200), ("b" * 64, 200), (DEV_TOKEN, 401)):
            resp = requests.get(server.url + "/v2/users/self", timeout=10,
                                headers={**HEADERS, "Authorization": f"Bearer {token}"})
            assert resp.status_code == status
    finally:
        server.stop()


def test_bad_options_are_refused() -> None:
    proc = subprocess.run([sys.executable, "-m", "basecrm_like.mock", "--faults", "boom=1"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "unknown fault kind" in proc.stderr


def test_data_survives_a_restart_with_db(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.sqlite")
    server = Cli("--db", db)
    try:
        resp = requests.post(server.url + "/v2/contacts", headers=HEADERS, timeout=10,
                             json={"data": {"last_name": "Persistent"}})
        contact_id = resp.json()["data"]["id"]
    finally:
        server.stop(signal.SIGKILL)  # no clean shutdown: committed data must still be there
    server = Cli("--db", db)
    try:
        resp = requests.get(f"{server.url}/v2/contacts/{contact_id}", headers=HEADERS,
                            timeout=10)
        assert resp.status_code == 200 and resp.json()["data"]["last_name"] == "Persistent"
        assert len(requests.get(server.url + "/v2/stages", headers=HEADERS,
                                timeout=10).json()["items"]) == 7  # seeded once, not twice
        resp = requests.post(server.url + "/v2/contacts", headers=HEADERS, timeout=10,
                             json={"data": {"last_name": "Next"}})
        assert resp.json()["data"]["id"] == contact_id + 1
    finally:
        server.stop()


def test_in_process_start_time() -> None:
    started = time.perf_counter()
    with serve() as server:
        ready = time.perf_counter() - started
        assert requests.get(server.url + "/v2/users/self", headers=HEADERS,
                            timeout=10).status_code == 200
    print(f"\nserve() ready in {ready * 1000:.0f} ms")


def test_concurrent_creates(basecrm_mock: Any) -> None:
    """20 threads x 50 contacts: 1,000 distinct ids, nothing lost."""
    errors: list[str] = []

    def worker(n: int) -> None:
        with requests.Session() as session:
            for i in range(50):
                resp = session.post(basecrm_mock.url + "/v2/contacts", headers=HEADERS,
                                    json={"data": {"last_name": f"T{n}-{i}"}}, timeout=30)
                if resp.status_code != 200:
                    errors.append(resp.text)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    ids: set[int] = set()
    names: set[str] = set()
    for page in range(1, 12):
        items = requests.get(basecrm_mock.url + "/v2/contacts", headers=HEADERS, timeout=30,
                             params={"per_page": 100, "page": page}).json()["items"]
        ids.update(i["data"]["id"] for i in items)
        names.update(i["data"]["last_name"] for i in items)
    assert len(ids) == 1000 and len(names) == 1000


def test_rate_limit() -> None:
    with serve(rate_limit=5) as server, requests.Session() as session:
        statuses = [session.get(server.url + "/v2/users/self", headers=HEADERS,
                                timeout=10) for _ in range(12)]
        limited = [r for r in statuses if r.status_code == 429]
        assert limited and statuses[0].status_code == 200
        body = limited[0].json()
        assert body["errors"][0]["error"]["code"] == "rate_limit_exceeded"
        assert int(limited[0].headers["Retry-After"]) >= 1
        # test helpers are never limited
        assert session.get(server.url + "/_mock/requests", timeout=10).status_code == 200


def test_error_faults_rate_and_shapes() -> None:
    with serve(faults="error=0.3", fault_seed=11) as server, requests.Session() as session:
        statuses = Counter()
        html = 0
        for _ in range(300):
            resp = session.get(server.url + "/v2/users/self", headers=HEADERS, timeout=10)
            statuses[resp.status_code] += 1
            if resp.headers.get("Content-Type", "").startswith("text/html"):
                html += 1
            assert "X-Request-Id" in resp.headers
        failed = sum(n for status, n in statuses.items() if status >= 500)
        assert 60 <= failed <= 120, statuses  # about 30 %
        assert set(statuses) <= {200, 500, 502, 503} and html > 0
        assert session.post(server.url + "/_mock/reset", timeout=10).status_code == 200


def test_fault_sequence_is_reproducible_with_a_seed() -> None:
    def run() -> list[int]:
        with serve(faults="error=0.5", fault_seed=3) as server, requests.Session() as session:
            return [session.get(server.url + "/v2/users/self", headers=HEADERS,
                                timeout=10).status_code for _ in range(30)]
    assert run() == run()


def _raw_request(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def test_drop_closes_the_connection_without_an_answer() -> None:
    with serve(faults="drop=1") as server:
        request = (f"GET /v2/users/self HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n"
                   f"Authorization: Bearer {DEV_TOKEN}\r\n\r\n").encode()
        assert _raw_request(server.url, request) == b""
        with pytest.raises(requests.exceptions.ConnectionError) as info:
            requests.get(server.url + "/v2/users/self", headers=HEADERS, timeout=10)
        assert "RemoteDisconnected" in repr(info.value) or "aborted" in repr(info.value)


def test_faulted_writes_are_either_not_applied_or_committed() -> None:
    """With every request faulted, each POST fails; the seeded RNG commits some of them
    first (after-commit faults) and refuses the others before any write."""
    with serve(faults="error=1", fault_seed=5) as server, requests.Session() as session:
        for i in range(40):
            resp = session.post(server.url + "/v2/contacts", headers=HEADERS, timeout=10,
                                json={"data": {"last_name": f"W{i}"}})
            assert resp.status_code >= 500
        resp = session.post(server.url + "/_mock/faults", json={"faults": None}, timeout=10)
        assert resp.json()["data"] == {"error": 0.0, "drop": 0.0, "latency": 0.0}
        stored = requests.get(server.url + "/v2/contacts", headers=HEADERS, timeout=10,
                              params={"per_page": 100}).json()["items"]
        assert 5 < len(stored) < 35  # both outcomes happened
        log = session.get(server.url + "/_mock/requests", timeout=10).json()["items"]
        assert all(e["fault"] == "error" for e in log[:40])


def test_faults_can_be_changed_while_running() -> None:
    with serve() as server, requests.Session() as session:
        resp = session.post(server.url + "/_mock/faults", json={"faults": "error=1"}, timeout=10)
        assert resp.status_code == 200
        assert session.get(server.url + "/v2/users/self", headers=HEADERS,
                           timeout=10).status_code >= 500
        server.app.set_faults(None)
        assert session.get(server.url + "/v2/users/self", headers=HEADERS,
                           timeout=10).status_code == 200
        resp = session.post(server.url + "/_mock/faults", json={"faults": "bad"}, timeout=10)
        assert resp.status_code == 400
        server.app.set_faults("error=1")
        server.app.reset()  # back to the faults the server started with: none
        assert session.get(server.url + "/v2/users/self", headers=HEADERS,
                           timeout=10).status_code == 200


def test_latency_is_added() -> None:
    with serve(faults="latency=0.05") as server, requests.Session() as session:
        started = time.perf_counter()
        for _ in range(5):
            session.get(server.url + "/v2/users/self", headers=HEADERS, timeout=10)
        assert time.perf_counter() - started >= 0.25


BLOCK_MOCK_EXTRA = "import sys\nsys.modules['werkzeug'] = None\nsys.modules['waitress'] = None\n"


def test_plugin_loads_without_the_mock_extra(tmp_path: Path) -> None:
    """Without Werkzeug and waitress the plugin loads and its fixtures skip, saying why."""
    code = BLOCK_MOCK_EXTRA + ("import basecrm_like.mock.pytest_plugin, basecrm_like.mock\n"
                               "print(len(basecrm_like.mock.DEV_TOKEN))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "64", proc.stderr
    (tmp_path / "conftest.py").write_text(BLOCK_MOCK_EXTRA)
    (tmp_path / "test_uses_mock.py").write_text(
        "def test_it(basecrm_client):\n    raise AssertionError('must not run')\n")
    registered = any(ep.value == "basecrm_like.mock.pytest_plugin"
                     for ep in entry_points(group="pytest11"))
    load = [] if registered else ["-p", "basecrm_like.mock.pytest_plugin"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *load,
         str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "1 skipped" in proc.stdout and "pip install 'basecrm_like[mock]'" in proc.stdout, \
        proc.stdout + proc.stderr
