"""Scripted answers and call verification, over HTTP and through the fixture."""
from __future__ import annotations

import time
from typing import Any

import pytest
import requests

import basecrm_like

Client = Any


def _admin(server: Any, method: str, path: str, **kw: Any) -> requests.Response:
    return requests.request(method, f"{server.url}/_mock/{path}", timeout=10, **kw)


def test_next_two_creates_answer_503_then_normal(basecrm_mock: Any, basecrm_client: Client) -> None:
    basecrm_mock.stub("POST", "/v2/deals", status=503, body={"errors": []}, times=2)
    org = basecrm_client.contacts.create(name="Acme", is_organization=True)  # not stubbed
    for _ in range(2):
        with pytest.raises(basecrm_like.ServerError) as info:
            basecrm_client.deals.create(name="Espresso", contact_id=org.id)
        assert info.value.http_status == 503
    deal = basecrm_client.deals.create(name="Espresso", contact_id=org.id)
    assert deal.id > 0
    basecrm_mock.assert_called("POST", "/v2/deals", times=3)
    assert [c["status"] for c in basecrm_mock.calls("POST", "/v2/deals")] == [503, 503, 200]
    assert basecrm_mock.stubs()[0]["remaining"] == 0


def test_stubs_over_http_listed_removed_matched_in_order_and_cleared_by_reset(
        basecrm_mock: Any) -> None:
    first = _admin(basecrm_mock, "POST", "stubs", json={
        "method": "GET", "path": "/v2/deals/*", "status": 404, "times": None,
        "headers": {"X-Scripted": "yes"}})
    assert first.status_code == 201
    second = _admin(basecrm_mock, "POST", "stubs", json={
        "method": "*", "path": "/v2/*", "status": 200, "body": {"data": {"ok": True}}})
    listed = _admin(basecrm_mock, "GET", "stubs").json()["items"]
    assert [s["id"] for s in listed] == [first.json()["data"]["id"], second.json()["data"]["id"]]
    api = {"Authorization": f"Bearer {basecrm_mock.token}", "User-Agent": "t"}
    answer = requests.get(f"{basecrm_mock.url}/v2/deals/1", headers=api, timeout=10)
    assert answer.status_code == 404 and answer.headers["X-Scripted"] == "yes"  # first match wins
    assert requests.get(f"{basecrm_mock.url}/v2/leads", headers=api,
                        timeout=10).json() == {"data": {"ok": True}}
    assert requests.get(f"{basecrm_mock.url}/v2/leads", headers=api,
                        timeout=10).json()["meta"]["type"] == "collection"  # spent
    assert _admin(basecrm_mock, "DELETE", f"stubs/{first.json()['data']['id']}").status_code == 204
    assert _admin(basecrm_mock, "DELETE", "stubs/999").status_code == 404
    assert requests.get(f"{basecrm_mock.url}/v2/deals/1", headers=api, timeout=10).status_code == 404
    bad = _admin(basecrm_mock, "POST", "stubs", json={"method": "GET", "path": "v2", "times": 0})
    assert bad.status_code == 400 and "path" in bad.json()["errors"][0]["error"]["message"]
    basecrm_mock.stub("GET", "/v2/users", status=500, times=None)
    _admin(basecrm_mock, "POST", "reset")
    assert basecrm_mock.stubs() == []


def test_stub_delay_is_applied(basecrm_mock: Any, basecrm_client: Client) -> None:
    basecrm_mock.stub("GET", "/v2/users/self", status=200,
                      body={"data": {"id": 7}, "meta": {"type": "user"}}, delay=0.2)
    started = time.monotonic()
    assert basecrm_client.users.self().id == 7
    assert time.monotonic() - started >= 0.2


def test_assert_called_shows_the_closest_requests(basecrm_mock: Any,
                                                  basecrm_client: Client) -> None:
    basecrm_client.leads.create(last_name="Hopper")
    basecrm_client.leads.list(per_page=5)
    basecrm_mock.assert_called("POST", "/v2/leads", json={"data": {"last_name": "Hopper"}})
    basecrm_mock.assert_not_called("DELETE", "/v2/leads/*")
    with pytest.raises(AssertionError) as info:
        basecrm_mock.assert_called("POST", "/v2/leads", times=2)
    message = str(info.value)
    assert "expected POST /v2/leads 2 time(s), got it 1 time(s)" in message
    assert 'POST /v2/leads {"data": {"last_name": "Hopper"}} -> 200' in message
    with pytest.raises(AssertionError) as info:
        basecrm_mock.assert_called("POST", "/v2/lead", json={"data": {"last_name": "Hoper"}})
    first_shown = str(info.value).splitlines()[1].strip()
    assert first_shown.startswith("POST /v2/leads")  # the closest comes first
    with pytest.raises(AssertionError, match="expected no GET /v2/leads, got 1"):
        basecrm_mock.assert_not_called("GET", "/v2/leads")


def test_assert_called_on_a_quiet_server_says_so(basecrm_mock: Any) -> None:
    with pytest.raises(AssertionError, match="received no requests at all"):
        basecrm_mock.assert_called("GET", "/v2/deals")
    assert basecrm_mock.calls() == []
