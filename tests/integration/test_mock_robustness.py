"""Nothing a client sends crashes the mock or leaves half-written state."""
from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from basecrm_like.mock import DEV_TOKEN, serve
from basecrm_like.mock.backend.store import Store
from basecrm_like.mock.wire.replies import json_reply
from basecrm_like.mock.wire.request import Call
from basecrm_like.mock.wire.routes import Route
from basecrm_like.resources import CATALOG
from tests.support.contract import ContractTarget, contract

__all__ = ["contract"]  # the contract suite's fixture, for the tests marked below

HEADERS = {"Authorization": f"Bearer {DEV_TOKEN}", "User-Agent": "mock-tests/1.0",
           "Content-Type": "application/json"}
SESSION = requests.Session()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=12)
attribute_names = st.sampled_from(
    ["last_name", "first_name", "name", "is_organization", "contact_id", "tags", "address",
     "custom_fields", "owner_id", "value", "stage_id", "due_date", "id", "bogus"])


def _post(url: str, path: str, raw: bytes) -> requests.Response:
    return SESSION.post(url + path, data=raw, headers=HEADERS, timeout=10)


@settings(max_examples=60)
@given(body=st.dictionaries(attribute_names, json_values, max_size=6),
       path=st.sampled_from(["/v2/contacts", "/v2/deals", "/v2/leads", "/v2/tasks"]))
def test_random_bodies_get_api_answers(basecrm_mock_server: Any, body: dict[str, Any],
                                       path: str) -> None:
    resp = _post(basecrm_mock_server.url, path, json.dumps({"data": body}).encode())
    assert resp.status_code in (200, 400, 422), resp.text
    if resp.status_code != 200:
        assert resp.json()["meta"]["type"] == "errors"


@settings(max_examples=60)
@given(params=st.dictionaries(st.sampled_from(
    ["page", "per_page", "sort_by", "ids", "email", "is_organization", "owner_id",
     "address[city]", "custom_fields[Segment]", "custom_fields[a\"b]", "x"]),
    st.text(max_size=30), max_size=4))
def test_random_queries_get_api_answers(basecrm_mock_server: Any, params: dict[str, str]) -> None:
    resp = SESSION.get(basecrm_mock_server.url + "/v2/contacts", params=params,
                       headers=HEADERS, timeout=10)
    assert resp.status_code in (200, 400), resp.text


def _headers(contract: ContractTarget) -> dict[str, str]:
    return {**HEADERS, "Authorization": f"Bearer {contract.token}"}


@pytest.mark.contract
@pytest.mark.parametrize("raw", [
    b'{"data": {"last_name": NaN}}', b'{"data": {"last_name": "\\ud800"}}',
    b"[" * 100_000 + b"]" * 100_000, b'{"data": {"owner_id": 99999999999999999999999}}',
    b'{"data": {"last_name": "x", "custom_fields": {"a": Infinity}}}',
])
def test_hostile_bodies(contract: ContractTarget, raw: bytes) -> None:
    resp = SESSION.post(contract.url + "/v2/contacts", data=raw, headers=_headers(contract),
                        timeout=30)
    assert resp.status_code in (400, 422), resp.text
    assert SESSION.get(contract.url + "/v2/users/self", headers=_headers(contract),
                       timeout=30).status_code == 200   # still answering


@pytest.mark.contract
def test_hostile_paths_and_params(contract: ContractTarget) -> None:
    for path, status in (("/v2/contacts/99999999999999999999999", 404),
                         ("/v2/contacts?ids=" + ",".join(map(str, range(2000))), 400),
                         ("/v2/contacts?owner_id=99999999999999999999", 400),
                         ("/v2/contacts?sort_by=custom_fields:x'y:desc", 200)):
        resp = SESSION.get(contract.url + path, headers=_headers(contract), timeout=30)
        assert resp.status_code == status, path


def test_a_crash_answers_500_and_rolls_back() -> None:
    contacts = CATALOG["contacts"]

    def half_done(call: Call) -> Any:
        store: Store = call.store
        store.insert(contacts, {"id": store.next_id(contacts), "last_name": "Half"})
        raise RuntimeError("boom after a write")

    routes = [Route("/v2/explode", ("POST",), half_done),
              Route("/v2/hello", ("GET",), lambda call: json_reply(200, {"data": {"hi": 1}}))]
    with serve(routes=routes) as server:
        resp = SESSION.post(server.url + "/v2/explode", headers=HEADERS, timeout=10)
        assert resp.status_code == 500
        body = resp.json()
        assert body["errors"][0]["error"]["code"] == "server_error"
        assert body["meta"]["logref"] == resp.headers["X-Request-Id"]
        assert SESSION.get(server.url + "/v2/contacts", headers=HEADERS,
                           timeout=10).json()["items"] == []
        assert SESSION.get(server.url + "/v2/hello", headers=HEADERS,
                           timeout=10).json() == {"data": {"hi": 1}}
        # extra routes are authenticated like every /v2 route
        assert SESSION.get(server.url + "/v2/hello", timeout=10,
                           headers={"User-Agent": "t"}).status_code == 401
