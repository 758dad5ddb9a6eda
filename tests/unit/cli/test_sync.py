"""``basecrm-like sync`` without a server: exit codes, messages, device file, Ctrl-C."""
from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from click.testing import CliRunner

from basecrm_like.cli import cli
from basecrm_like.cli.progress import SyncProgress
from basecrm_like.sync import SqliteMirror

from ..sync.conftest import BASE, DEVICE, FakeSyncApi, item
from . import TOKEN

ENV = {"BASECRM_ACCESS_TOKEN": TOKEN, "BASECRM_BASE_URL": BASE}


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["sync", *args], env=ENV if env is None else env)


def test_sync_mirrors_and_prints_a_summary(rsps: Any, tmp_path: Path) -> None:
    api = FakeSyncApi(rsps, [[item("contact", 1), item("deal", 2)], [item("deal", 3)]])
    db = tmp_path / "crm.sqlite"
    result = run("--db", str(db), "--device-uuid", DEVICE)
    assert result.exit_code == 0, result.output
    assert "synced 3 items (acked 3, nacked 0) in 2 pages: contact 1, deal 2" in result.output
    assert f"mirror {db}: contacts 1, deals 2" in result.output
    assert api.acked == ["Contact-1-1", "Deal-2-1", "Deal-3-1"]
    assert not (tmp_path / "crm.sqlite.device").exists()  # an explicit UUID is not stored
    with SqliteMirror(db) as mirror:
        assert mirror.count("deals") == 2


def test_device_uuid_is_remembered_next_to_the_db(rsps: Any, tmp_path: Path) -> None:
    seen: list[str] = []

    def start(request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(request.headers["X-Basecrm-Device-UUID"])
        return 204, {}, ""

    rsps.add_callback(responses.POST, f"{BASE}/v2/sync/start", callback=start)
    db = tmp_path / "crm.sqlite"
    for _ in range(2):
        result = run("--db", str(db))
        assert result.exit_code == 0, result.output
        assert "nothing new since the last sync" in result.output
    assert seen[0] == seen[1] == (tmp_path / "crm.sqlite.device").read_text().strip()


def test_token_and_base_url_options_win_over_the_environment(rsps: Any, tmp_path: Path) -> None:
    other = "https://other.example.test"
    rsps.add(responses.POST, f"{other}/v2/sync/start", status=204)
    result = run("--db", str(tmp_path / "x.sqlite"), "--token", "u" * 64, "--base-url", other,
                 "--device-uuid", DEVICE)
    assert result.exit_code == 0, result.output
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer " + "u" * 64


def test_items_that_cannot_be_stored_exit_1(rsps: Any, tmp_path: Path) -> None:
    api = FakeSyncApi(rsps, [[item("deal", 1), item("deal", "not-an-id")]])
    result = run("--db", str(tmp_path / "crm.sqlite"), "--device-uuid", DEVICE)
    assert result.exit_code == 1, result.output
    assert "1 items could not be stored" in result.output
    assert api.acked == ["Deal-1-1"]


def test_missing_token_exits_2_without_a_traceback(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "crm.sqlite"), env={"BASECRM_ACCESS_TOKEN": ""})
    assert result.exit_code == 2
    assert "no access token" in result.output and "Traceback" not in result.output


def test_api_error_exits_2_with_the_api_message(rsps: Any, tmp_path: Path) -> None:
    rsps.add(responses.POST, f"{BASE}/v2/sync/start", status=403, json={
        "errors": [{"error": {"code": "insufficient_scope", "message": "needs sync scope"}}],
        "meta": {"type": "errors", "logref": "abc"}})
    result = run("--db", str(tmp_path / "crm.sqlite"), "--device-uuid", DEVICE)
    assert result.exit_code == 2
    assert "insufficient_scope" in result.output and "Traceback" not in result.output


def test_network_error_mid_run_says_how_much_was_kept(rsps: Any, tmp_path: Path) -> None:
    api = FakeSyncApi(rsps, [[item("deal", 1)]])
    calls = {"n": 0}

    def fetch(request: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise requests.exceptions.ConnectionError("connection reset")
        return api._fetch(request)

    rsps.remove(responses.GET, f"{BASE}/v2/sync/a1b2c3d4-session/queues/main")
    rsps.add_callback(responses.GET, f"{BASE}/v2/sync/a1b2c3d4-session/queues/main",
                      callback=fetch)
    result = run("--db", str(tmp_path / "crm.sqlite"), "--device-uuid", DEVICE)
    assert result.exit_code == 2, result.output
    assert "1 items were stored and acknowledged" in result.output


def test_bad_device_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "crm.sqlite.device").write_text("garbage")
    result = run("--db", str(tmp_path / "crm.sqlite"))
    assert result.exit_code == 2 and "device UUID" in result.output


def test_unopenable_db_exits_2(tmp_path: Path) -> None:
    result = run("--db", str(tmp_path / "missing-dir" / "crm.sqlite"), "--device-uuid", DEVICE)
    assert result.exit_code == 2 and "cannot open the mirror" in result.output


def test_ctrl_c_stops_after_the_page_in_hand(rsps: Any, tmp_path: Path) -> None:
    api = FakeSyncApi(rsps, [[item("deal", 1), item("deal", 2)], [item("deal", 3)]])
    real_fetch = api._fetch

    def fetch_then_interrupt(request: Any) -> Any:
        answer = real_fetch(request)
        if len(api.log) == 2:  # start, first fetch: Ctrl-C while the page is in hand
            os.kill(os.getpid(), signal.SIGINT)
        return answer

    api._fetch = fetch_then_interrupt  # type: ignore[method-assign]
    rsps.remove(responses.GET, f"{BASE}/v2/sync/a1b2c3d4-session/queues/main")
    rsps.add_callback(responses.GET, f"{BASE}/v2/sync/a1b2c3d4-session/queues/main",
                      callback=api._fetch)
    before = signal.getsignal(signal.SIGINT)
    result = run("--db", str(tmp_path / "crm.sqlite"), "--device-uuid", DEVICE)
    assert result.exit_code == 130, result.output
    assert "stopping after the page in hand" in result.output
    assert "run the command again to continue" in result.output
    assert api.acked == ["Deal-1-1", "Deal-2-1"]
    assert signal.getsignal(signal.SIGINT) is before  # handlers restored
    with SqliteMirror(tmp_path / "crm.sqlite") as mirror:
        assert mirror.count("deals") == 2


def test_plain_progress_lines_when_not_a_terminal(rsps: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SyncProgress, "LINE_EVERY", 0.0)
    FakeSyncApi(rsps, [[item("contact", 1)], [item("deal", 2)]])
    result = run("--db", str(tmp_path / "crm.sqlite"), "--device-uuid", DEVICE)
    assert result.exit_code == 0
    assert "sync: 1/~2 items, 1 pages (contact=1)" in result.output
    assert "sync: 2/~2 items, 2 pages (contact=1 deal=1)" in result.output
    quiet = run("--db", str(tmp_path / "crm2.sqlite"), "--device-uuid", DEVICE, "--no-progress")
    assert "sync: " not in quiet.output


def test_progress_names_the_biggest_types_and_sums_the_rest(
        rsps: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SyncProgress, "LINE_EVERY", 0.0)
    kinds = ["deal"] * 3 + ["lead"] * 2 + ["user", "stage", "tag", "source"]
    FakeSyncApi(rsps, [[item(k, i) for i, k in enumerate(kinds)]])
    result = run("--db", str(tmp_path / "crm.sqlite"), "--device-uuid", DEVICE)
    assert "(deal=3 lead=2 source=1 stage=1 other=2)" in result.output
