"""Record, replay and compare through two mocks: one stands in for the real API.

The "real" one differs from the mock under test on purpose: it answers
``GET /v2/deals/{id}`` with an extra attribute and ``GET /v2/users/self`` with a
503, so the drift report must name exactly those two requests.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from basecrm_like.mock import DEV_TOKEN, serve
from basecrm_like.mock.process import child_environment


def _api(url: str, method: str, path: str, token: str = DEV_TOKEN, **kw: Any) -> requests.Response:
    return requests.request(method, f"{url}/v2{path}", timeout=10, headers={
        "Authorization": f"Bearer {token}", "User-Agent": "record-test"}, **kw)


def _record_session(url: str, token: str) -> tuple[int, int]:
    org = _api(url, "POST", "/contacts", token, json={"data": {
        "name": "Acme", "is_organization": True, "token": "s3cret-in-body"}})
    assert org.status_code == 422  # unknown attribute: recorded like any answer
    org = _api(url, "POST", "/contacts", token, json={"data": {"name": "Acme",
                                                                "is_organization": True}})
    deal = _api(url, "POST", "/deals", token, json={"data": {
        "name": "Beans", "contact_id": org.json()["data"]["id"]}})
    deal_id = deal.json()["data"]["id"]
    assert _api(url, "GET", f"/deals/{deal_id}", token).status_code == 200
    _api(url, "GET", "/deals", token, params={"per_page": 5})
    _api(url, "GET", "/users/self", token)
    return org.json()["data"]["id"], deal_id


def test_record_replay_and_compare_round_trip(tmp_path: Path) -> None:
    cassette = tmp_path / "session.json"
    real_token = "r" * 64
    with serve(tokens=[real_token]) as real:
        # the deliberate differences between "reality" and the mock
        real.stub("GET", "/v2/deals/*", status=200, times=None, body={
            "data": {"id": 1, "name": "Beans", "value": "0", "added_on": None,
                     "forecast": "hot"}, "meta": {"type": "deal"}})
        real.stub("GET", "/v2/users/self", status=503, body={"errors": []})
        with serve(tokens=[real_token], record_from=real.url,
                   cassette=str(cassette)) as recorder:
            org_id, deal_id = _record_session(recorder.url, real_token)
        real.assert_called("POST", "/v2/deals", times=1)

    recorded = json.loads(cassette.read_text())
    text = cassette.read_text()
    assert real_token not in text and "s3cret-in-body" not in text
    assert recorded["interactions"][0]["request"]["body"]["data"]["token"] == "[scrubbed]"
    assert [i["response"]["status"] for i in recorded["interactions"]] == [
        422, 200, 200, 200, 200, 503]

    # replay: the recorded answers, and a clear error for anything else
    with serve(replay=str(cassette)) as replayer:
        again = _api(replayer.url, "GET", f"/deals/{deal_id}")
        assert again.json()["data"]["forecast"] == "hot"
        assert _api(replayer.url, "GET", "/users/self").status_code == 503
        missing = _api(replayer.url, "GET", "/deals", params={"per_page": 6})
        assert missing.status_code == 501
        error = missing.json()["errors"][0]["error"]
        assert error["code"] == "not_recorded" and "GET /v2/deals" in error["details"]

    # compare, as a user runs it: the command prints the drift report and exits 1
    done = subprocess.run(
        [sys.executable, "-m", "basecrm_like.mock", "--port", "0", "--compare", str(cassette)],
        capture_output=True, text=True, timeout=60, env=child_environment())
    report = done.stdout
    assert done.returncode == 1, report + done.stderr
    assert "compared 6 recorded requests: 2 differ" in report
    assert f"GET /v2/deals/{deal_id}:\n  $.data.forecast: missing in the mock" in report
    assert "GET /v2/users/self:\n  status 503 in reality, 200 in the mock" in report
    assert "POST /v2/contacts" not in report and "GET /v2/deals:" not in report
    assert org_id > 0


def test_mode_flags_are_checked(tmp_path: Path) -> None:
    from basecrm_like.mock.options import resolve

    for values, message in (
            ({"record_from": "http://x.test"}, "--record-from needs --cassette"),
            ({"cassette": "a.json"}, "--cassette is the file"),
            ({"record_from": "ftp://x"}, "is not an http(s) URL"),
            ({"replay": str(tmp_path / "none.json")}, "--replay: "),
    ):
        try:
            resolve(values)
        except ValueError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"{values} accepted")
    recorded = tmp_path / "r.json"
    recorded.write_text('{"version": 1, "interactions": []}')
    try:
        resolve({"replay": str(recorded), "compare": str(recorded)})
    except ValueError as exc:
        assert "--replay and --compare cannot be combined" in str(exc)
    else:
        raise AssertionError("two modes accepted")
