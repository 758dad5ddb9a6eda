"""The mock under hostile input: no 500, no unbounded growth, no open control plane,
no server started on a database it cannot serve."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from werkzeug.test import Client as WsgiClient

from basecrm_like.cli import cli
from basecrm_like.mock import DEV_TOKEN, MockApp, serve
from basecrm_like.mock.backend.dbcheck import DatabaseProblem
from basecrm_like.mock.options import resolve
from basecrm_like.mock.wire.request_log import ENTRY_BODY_LIMIT, RequestLog

API = {"Authorization": f"Bearer {DEV_TOKEN}", "User-Agent": "tests",
       "Content-Type": "application/json"}


@pytest.fixture
def app() -> Any:
    mock = MockApp()
    yield mock
    mock.close()


def call(app: MockApp, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    response = WsgiClient(app).open(path, method=method, data=data, headers=headers or API)
    raw = response.get_data()
    return response.status_code, json.loads(raw) if raw else None


@pytest.mark.parametrize("number", ["1e999", "-1e999", "123456789012345678901234567890"])
def test_numbers_the_store_cannot_hold_are_refused(app: MockApp, number: str) -> None:
    status, body = call(app, "POST", "/v2/contacts",
                        '{"data": {"last_name": "A", "custom_fields": {"a": ' + number + '}}}')
    assert status == 400
    assert body["errors"][0]["error"]["code"] == "invalid_payload"
    # nothing was stored that could break later answers
    assert call(app, "GET", "/v2/contacts?custom_fields[a]=1")[0] == 200
    assert call(app, "GET", "/v2/contacts")[1]["items"] == []


@pytest.mark.parametrize("path", [
    "/v2/contacts?page=922337203685477581",
    "/v2/contacts?page=922337203685477581&per_page=100",
    "/v2/orders/1/line_items?value=sNaN",
    "/v2/orders/1/line_items?value=Infinity",
    "/v2/deals?value=NaN",
])
def test_query_values_that_crashed_are_a_400(app: MockApp, path: str) -> None:
    status, body = call(app, "GET", path)
    assert status in (400, 404), body  # 404 only for the order that does not exist
    assert body["errors"][0]["error"]["code"] != "server_error"


def test_token_with_a_huge_user_id_is_refused(app: MockApp) -> None:
    status, body = call(app, "POST", "/_mock/tokens", {"token": "big-user", "user_id": 10 ** 30},
                        {"Content-Type": "application/json"})
    assert status == 400
    with pytest.raises(ValueError, match="user_id"):
        app.add_token("big-user-2", user_id=10 ** 18 * 10)
    assert call(app, "GET", "/v2/users/self",
                headers={**API, "Authorization": "Bearer big-user"})[0] == 401


def test_sortable_fields_are_listed_once(app: MockApp) -> None:
    status, body = call(app, "GET", "/v2/contacts?sort_by=nope")
    message = body["errors"][0]["error"]["message"]
    names = message.split("sortable: ")[1].split(", ")
    assert status == 400 and len(names) == len(set(names))


def test_request_log_caps_each_body_and_the_total() -> None:
    log = RequestLog(entry_body_limit=1000, total_body_limit=5000)

    class Fake:
        method, path, args = "POST", "/v2/contacts", {}

        def __init__(self, size: int) -> None:
            self.content_length = size

    for _ in range(30):
        log.arrive(Fake(2_000_000), None)  # type: ignore[arg-type]
    entries = log.entries()
    assert len(entries) == 30 and all("omitted" in e["body"] for e in entries)
    for i in range(20):
        log.arrive(Fake(900), {"i": i})  # type: ignore[arg-type]
    kept = [e for e in log.entries() if "i" in (e["body"] or {})]
    assert 0 < len(kept) <= 5 and kept[-1]["body"] == {"i": 19}


def test_deeply_nested_body_does_not_break_the_request_log(app: MockApp) -> None:
    for depth in (100, 900, 980):
        call(app, "POST", "/v2/contacts", '{"data":' * depth + "1" + "}" * depth)
    status, log = call(app, "GET", "/_mock/requests", headers={})
    assert status == 200
    assert "omitted" in json.dumps(log["items"][0]["body"])


def test_large_unauthenticated_posts_are_not_kept(app: MockApp) -> None:
    for _ in range(3):
        call(app, "POST", "/v2/contacts", b'{"data": "' + b"x" * (ENTRY_BODY_LIMIT * 4) + b'"}',
             {"Content-Type": "application/json", "User-Agent": "x"})
    items = call(app, "GET", "/_mock/requests", headers={})[1]["items"]
    assert all("omitted" in item["body"] for item in items)


# -- the control plane ---------------------------------------------------------------------

def test_control_plane_refuses_what_a_web_page_can_send(app: MockApp) -> None:
    # a "simple" cross-origin request: text/plain, no preflight
    status, _ = call(app, "POST", "/_mock/tokens", '{"token": "minted"}',
                     {"Content-Type": "text/plain", "Origin": "http://evil.example"})
    assert status == 403
    status, _ = call(app, "POST", "/_mock/tokens", '{"token": "minted"}',
                     {"Content-Type": "text/plain"})
    assert status == 415
    status, _ = call(app, "POST", "/_mock/reset", None, {"Origin": "http://evil.example"})
    assert status == 403
    assert call(app, "GET", "/v2/users/self",
                headers={**API, "Authorization": "Bearer minted"})[0] == 401


def test_control_plane_answers_no_cors_preflight(app: MockApp) -> None:
    response = WsgiClient(app).open("/_mock/reset", method="OPTIONS", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert response.status_code >= 400
    assert not [h for h in response.headers.keys() if h.lower().startswith("access-control")]


def test_control_plane_still_serves_tests(app: MockApp) -> None:
    assert call(app, "POST", "/_mock/reset", None, {})[0] == 200
    assert call(app, "POST", "/_mock/tokens", {"token": "t2"}, {"Content-Type": "application/json"})[0] == 200
    assert call(app, "GET", "/_mock/requests", headers={})[0] == 200


def test_admin_token_guards_the_control_plane() -> None:
    app = MockApp(admin_token="a-long-admin-token-123")
    try:
        assert call(app, "POST", "/_mock/reset", None, {})[0] == 401
        assert call(app, "POST", "/_mock/reset", None,
                    {"Authorization": "Bearer a-long-admin-token-123"})[0] == 200
    finally:
        app.close()


def test_listening_beyond_loopback_needs_an_admin_token() -> None:
    with pytest.raises(ValueError, match="--admin-token is required"):
        resolve({"host": "0.0.0.0"})
    assert resolve({"host": "0.0.0.0", "admin_token": "x" * 16})["host"] == "0.0.0.0"
    result = CliRunner().invoke(cli, ["mock", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2 and "--admin-token is required" in result.output


def test_non_loopback_host_prints_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with serve(host="0.0.0.0", admin_token="x" * 16) as server:
        assert requests.post(f"http://127.0.0.1:{server.port}/_mock/reset", timeout=10,
                             ).status_code == 401
    assert any("reachable from other machines" in r.getMessage() for r in caplog.records)


# -- --db ----------------------------------------------------------------------------------

def _good_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.close()


def bad_databases(tmp: Path) -> dict[str, Path]:
    (tmp / "random.db").write_bytes(os.urandom(8192))
    (tmp / "text.db").write_text("not a database\n")
    _good_db(tmp / "good.db")
    shutil.copy(tmp / "good.db", tmp / "damaged.db")
    with open(tmp / "damaged.db", "r+b") as fh:
        fh.seek(8192)
        fh.write(os.urandom(8192))
    shutil.copy(tmp / "good.db", tmp / "readonly.db")
    os.chmod(tmp / "readonly.db", 0o444)
    return {name: tmp / f"{name}.db" for name in ("random", "text", "damaged", "readonly")} | {
        "missing-directory": tmp / "nowhere" / "x.db"}


def test_unusable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for name, path in bad_databases(tmp_path).items():
        result = CliRunner().invoke(cli, ["mock", "--port", "0", "--db", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert str(path) in result.output
        with pytest.raises(DatabaseProblem):
            MockApp(db=str(path))


def test_ctrl_c_during_start_up_prints_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import basecrm_like.mock.wire.server as server_module

    def interrupted(**_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(server_module, "serve", interrupted)
    result = CliRunner().invoke(cli, ["mock", "--port", "0"])
    assert result.exit_code == 130
    assert "Traceback" not in result.output and result.exception is None or \
        isinstance(result.exception, SystemExit)
