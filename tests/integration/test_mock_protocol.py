"""Wire-level behaviour of the mock server: envelopes, headers, every validation
branch, pagination, filters, sorting, nested resources and referential rules.

Uses ``requests`` directly, so what is checked is the bytes a client sees.
"""
from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
import requests

from basecrm_like.mock import DEV_TOKEN


class Api:
    """A thin requests wrapper: base URL, token and User-Agent, JSON envelopes."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "User-Agent": "mock-tests/1.0",
                                     "Accept": "application/json"})

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        if raw is not None:
            kwargs["data"] = raw
        return self.session.request(method, self.url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def create(self, path: str, **attributes: Any) -> dict[str, Any]:
        resp = self.call("POST", path, {"data": attributes})
        assert resp.status_code == 200, resp.text
        return dict(resp.json()["data"])


@pytest.fixture
def api(basecrm_mock: Any) -> Api:
    return Api(basecrm_mock.url, basecrm_mock.token)


def error_of(resp: requests.Response) -> dict[str, Any]:
    body = resp.json()
    assert body["meta"]["type"] == "errors"
    assert body["meta"]["logref"] == resp.headers["X-Request-Id"]
    assert body["meta"]["http_status"].startswith(str(resp.status_code) + " ")
    item = body["errors"][0]
    assert item["meta"]["type"] == "error" and item["meta"]["links"]["more_info"]
    return dict(item["error"])


# -- envelopes and headers --------------------------------------------------------------------

def test_single_envelope_and_headers(api: Api) -> None:
    resp = api.get("/v2/users/self")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert resp.headers["Content-Language"] == "en"
    uuid.UUID(resp.headers["X-Request-Id"])
    body = resp.json()
    assert body["meta"] == {"type": "user"} and body["data"]["id"] == 1


def test_collection_envelope(api: Api) -> None:
    body = api.get("/v2/stages").json()
    assert body["meta"]["type"] == "collection" and body["meta"]["count"] == 7
    assert [i["meta"]["type"] for i in body["items"]] == ["stage"] * 7
    assert [i["data"]["name"] for i in body["items"]] == [
        "Incoming", "Qualified", "Quote", "Closure", "Won", "Lost", "Unqualified"]
    links = body["meta"]["links"]
    assert set(links) == {"self", "first_page"}


def test_create_is_200_and_delete_is_204_empty(api: Api) -> None:
    resp = api.call("POST", "/v2/tags", {"data": {"name": "vip", "resource_type": "lead"}})
    assert resp.status_code == 200 and resp.json()["meta"]["type"] == "tag"
    tag_id = resp.json()["data"]["id"]
    resp = api.call("DELETE", f"/v2/tags/{tag_id}")
    assert resp.status_code == 204 and resp.content == b""
    assert "X-Request-Id" in resp.headers


def test_timestamps_and_server_set_fields(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name="Turing", id=999, creator_id=7,
                         created_at="2000-01-01T00:00:00Z")
    assert contact["id"] != 999 and contact["creator_id"] == 1
    assert contact["created_at"].endswith("Z") and len(contact["created_at"]) == 20
    assert contact["created_at"] != "2000-01-01T00:00:00Z"


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_unauthorized(api: Api, header: str | None) -> None:
    headers = {"User-Agent": "t"}
    if header is not None:
        headers["Authorization"] = header
    resp = requests.get(api.url + "/v2/contacts", headers=headers, timeout=10)
    assert resp.status_code == 401
    assert error_of(resp)["code"] == "unauthorized"


def test_missing_user_agent(api: Api) -> None:
    # http.client sends no User-Agent of its own (requests/urllib3 would add one)
    host, port = api.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/v2/contacts", headers={"Authorization": f"Bearer {DEV_TOKEN}"})
    raw = conn.getresponse()
    body = raw.read()
    conn.close()
    assert raw.status == 400
    assert json.loads(body)["errors"][0]["error"]["code"] == "invalid_user_agent"


def test_not_acceptable(api: Api) -> None:
    resp = api.get("/v2/contacts", headers={"Accept": "text/html"})
    assert resp.status_code == 406


def test_unknown_query_param(api: Api) -> None:
    resp = api.get("/v2/contacts", params={"frist_name": "x"})
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["code"] == "unknown_param" and "frist_name" in err["message"]
    resp = api.get("/v2/contacts/1", params={"page": "2"})
    assert resp.status_code == 400 and error_of(resp)["code"] == "unknown_param"


def test_unknown_attribute(api: Api) -> None:
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": "x", "frist_name": "y"}})
    assert resp.status_code == 422
    err = error_of(resp)
    assert err == {**err, "code": "unknown", "field": "/data/frist_name", "resource": "contact"}


def test_read_only_attribute(api: Api) -> None:
    task = api.create("/v2/tasks", content="x")
    # echoing the stored value back is accepted (clients send fetched records back)
    resp = api.call("PUT", f"/v2/tasks/{task['id']}", {"data": {**task, "content": "y"}})
    assert resp.status_code == 200 and resp.json()["data"]["content"] == "y"
    assert api.create("/v2/tasks", content="x", overdue=False)["overdue"] is False  # default
    resp = api.call("POST", "/v2/tasks", {"data": {"content": "x", "completed_at": "2020-01-01"}})
    assert resp.status_code == 422
    resp = api.call("PUT", f"/v2/tasks/{task['id']}", {"data": {"overdue": True}})
    assert resp.status_code == 422
    err = error_of(resp)
    assert err["code"] == "unknown" and err["field"] == "/data/overdue"
    assert "read-only" in err["message"]


def test_missing_required(api: Api) -> None:
    resp = api.call("POST", "/v2/deals", {"data": {"name": "x"}})
    assert resp.status_code == 422
    err = error_of(resp)
    assert (err["code"], err["field"]) == ("missing", "/data/contact_id")
    resp = api.call("POST", "/v2/contacts", {"data": {"is_organization": True}})
    assert error_of(resp)["field"] == "/data/name"
    resp = api.call("POST", "/v2/leads", {"data": {"first_name": "x"}})
    assert resp.status_code == 422 and error_of(resp)["code"] == "missing"
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": ""}})
    assert error_of(resp)["code"] == "blank"


def test_every_problem_reported_at_once(api: Api) -> None:
    resp = api.call("POST", "/v2/deals", {"data": {"name": 5, "hot": "yes", "bogus": 1}})
    fields = {e["error"]["field"]: e["error"]["code"] for e in resp.json()["errors"]}
    assert fields == {"/data/name": "invalid_type", "/data/hot": "invalid_type",
                      "/data/bogus": "unknown"}


@pytest.mark.parametrize("attrs,field", [
    ({"last_name": 5}, "/data/last_name"),
    ({"last_name": "x", "owner_id": "1"}, "/data/owner_id"),
    ({"last_name": "x", "tags": "vip"}, "/data/tags"),
    ({"last_name": "x", "tags": ["ok", 3]}, "/data/tags/1"),
    ({"last_name": "x", "address": {"city": 3}}, "/data/address/city"),
    ({"last_name": "x", "is_organization": "false"}, "/data/is_organization"),
])
def test_invalid_type(api: Api, attrs: dict[str, Any], field: str) -> None:
    resp = api.call("POST", "/v2/contacts", {"data": attrs})
    assert resp.status_code == 422
    assert (error_of(resp)["code"], error_of(resp)["field"]) == ("invalid_type", field)


def test_incorrect_value(api: Api) -> None:
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": "x",
                                                      "customer_status": "gold"}})
    assert resp.status_code == 422 and error_of(resp)["code"] == "incorrect_value"
    resp = api.call("POST", "/v2/tasks", {"data": {"content": "x", "due_date": "tomorrow"}})
    assert error_of(resp)["code"] == "incorrect_value"


def test_not_found_and_incorrect_path(api: Api) -> None:
    resp = api.get("/v2/contacts/424242")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"
    for path in ("/v2/nothing", "/v2/contacts/abc", "/v3/contacts", "/"):
        resp = api.get(path)
        assert resp.status_code == 404 and error_of(resp)["code"] == "incorrect_path", path


def test_method_not_allowed(api: Api) -> None:
    resp = api.call("DELETE", "/v2/stages")
    assert resp.status_code == 405
    assert error_of(resp)["code"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]
    resp = api.call("PUT", "/v2/orders/1/line_items/1", {"data": {}})
    assert resp.status_code == 405


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'{"last_name": "x"}',
                                 b'{"data": [1]}', b'{"data": {}, "extra": 1}', b"\xff\xfe"])
def test_invalid_payload(api: Api, raw: bytes) -> None:
    resp = api.call("POST", "/v2/contacts", raw=raw,
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "invalid_payload"


def test_body_too_large(api: Api) -> None:
    big = json.dumps({"data": {"last_name": "x" * (1024 * 1024 + 10)}}).encode()
    resp = api.call("POST", "/v2/contacts", raw=big, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert error_of(resp)["code"] == "request_too_large"


def test_nothing_half_written_on_error(api: Api) -> None:
    before = api.get("/v2/contacts").json()["meta"]["count"]
    api.call("POST", "/v2/lead_conversions", {"data": {"lead_id": 999}})
    assert api.get("/v2/contacts").json()["meta"]["count"] == before


# -- pagination, filters, sorting ------------------------------------------------------------

def _contacts(api: Api, count: int) -> list[int]:
    return [api.create("/v2/contacts", last_name=f"P{i:04d}")["id"] for i in range(count)]


def test_empty_collection(api: Api) -> None:
    body = api.get("/v2/contacts").json()
    assert body["items"] == [] and body["meta"]["count"] == 0
    assert "next_page" not in body["meta"]["links"]


def test_pagination_edges(api: Api, basecrm_mock: Any) -> None:
    for i in range(101):
        basecrm_mock.app.insert("contacts", {"last_name": f"P{i:04d}"})
    page1 = api.get("/v2/contacts", params={"per_page": 100}).json()
    assert page1["meta"]["count"] == 100
    links = page1["meta"]["links"]
    assert "prev_page" not in links and "page=2" in links["next_page"]
    assert "per_page=100" in links["next_page"]
    page2 = requests.get(links["next_page"], headers=api.session.headers, timeout=10).json()
    assert page2["meta"]["count"] == 1 and "next_page" not in page2["meta"]["links"]
    assert "page=1" in page2["meta"]["links"]["prev_page"]
    ids = [i["data"]["id"] for i in page1["items"] + page2["items"]]
    assert len(set(ids)) == 101
    assert api.get("/v2/contacts", params={"page": 9}).json()["items"] == []
    assert api.get("/v2/contacts").json()["meta"]["count"] == 25  # default per_page


def test_exactly_one_full_page(api: Api, basecrm_mock: Any) -> None:
    for i in range(100):
        basecrm_mock.app.insert("contacts", {"last_name": f"P{i:04d}"})
    body = api.get("/v2/contacts", params={"per_page": 100}).json()
    assert body["meta"]["count"] == 100 and "next_page" not in body["meta"]["links"]
    assert api.get("/v2/contacts", params={"per_page": 100, "page": 2}).json()["items"] == []


@pytest.mark.parametrize("params", [{"per_page": 0}, {"per_page": 101}, {"per_page": "x"},
                                    {"page": 0}, {"page": "-1"}, {"sort_by": "email"},
                                    {"sort_by": "last_name:up"}, {"ids": "1,a"},
                                    {"is_organization": "yes"}, {"owner_id": "me"}])
def test_invalid_params(api: Api, params: dict[str, Any]) -> None:
    resp = api.get("/v2/contacts", params=params)
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "invalid_param"


def test_max_per_page_follows_the_catalog(api: Api) -> None:
    assert api.get("/v2/lead_conversions", params={"per_page": 200}).status_code == 200
    assert api.get("/v2/lead_conversions", params={"per_page": 201}).status_code == 400


def test_filters(api: Api) -> None:
    org = api.create("/v2/contacts", name="Acme", is_organization=True,
                     address={"city": "Paris", "country": "FR"},
                     custom_fields={"Segment": "Enterprise"})
    ada = api.create("/v2/contacts", last_name="Lovelace", first_name="Ada", contact_id=org["id"])
    api.create("/v2/contacts", last_name="Babbage")
    ids = lambda **p: [i["data"]["id"] for i in api.get("/v2/contacts", params=p).json()["items"]]  # noqa: E731
    assert ids(ids=f"{org['id']},{ada['id']}") == [org["id"], ada["id"]]
    assert ids(is_organization="TRUE") == [org["id"]]
    assert ids(is_organization="False", last_name="Lovelace") == [ada["id"]]
    assert ids(**{"address[city]": "Paris"}) == [org["id"]]
    assert ids(**{"custom_fields[Segment]": "Enterprise"}) == [org["id"]]
    assert ids(contact_id=org["id"]) == [ada["id"]]
    assert ids(last_name="lovelace") == []  # exact match


def test_sorting(api: Api) -> None:
    for name in ("b", "c", "a"):
        api.create("/v2/contacts", last_name=name, first_name=name.upper())
    names = lambda s: [i["data"]["last_name"] for i in  # noqa: E731
                       api.get("/v2/contacts", params={"sort_by": s}).json()["items"]]
    assert names("last_name") == ["a", "b", "c"]
    assert names("last_name:desc") == ["c", "b", "a"]
    assert names("id:desc") == ["a", "c", "b"]
    assert [i["data"]["last_name"] for i in api.get("/v2/contacts").json()["items"]] == \
        ["a", "b", "c"]  # catalog default: last_name:asc


def test_sort_by_decimal_value(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name="x")
    for value in ("10.5", "9", "100"):
        api.create("/v2/deals", name=value, contact_id=contact["id"], value=value)
    values = [i["data"]["value"] for i in
              api.get("/v2/deals", params={"sort_by": "value:desc"}).json()["items"]]
    assert values == ["100", "10.5", "9"]


# -- resource rules ------------------------------------------------------------------------------

def test_deal_defaults_and_decimal_value(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name="x")
    deal = api.create("/v2/deals", name="d", contact_id=contact["id"])
    assert deal["value"] == "0" and deal["stage_id"] == 1 and deal["hot"] is False
    deal = api.create("/v2/deals", name="d", contact_id=contact["id"], value=1000.99)
    assert deal["value"] == "1000.99"
    resp = api.call("PUT", f"/v2/deals/{deal['id']}", {"data": {"value": "12.50"}})
    assert resp.json()["data"]["value"] == "12.50"


def test_foreign_keys_must_exist(api: Api) -> None:
    resp = api.call("POST", "/v2/deals", {"data": {"name": "d", "contact_id": 4242}})
    assert resp.status_code == 422
    assert error_of(resp)["field"] == "/data/contact_id"
    contact = api.create("/v2/contacts", last_name="x")
    resp = api.call("POST", "/v2/deals", {"data": {"name": "d", "contact_id": contact["id"],
                                                   "stage_id": 77}})
    assert error_of(resp)["field"] == "/data/stage_id"
    resp = api.call("POST", "/v2/notes", {"data": {"content": "c", "resource_type": "lead",
                                                   "resource_id": contact["id"]}})
    assert resp.status_code == 422 and error_of(resp)["field"] == "/data/resource_id"


def test_is_organization_only_on_create(api: Api) -> None:
    person = api.create("/v2/contacts", last_name="x")
    resp = api.call("PUT", f"/v2/contacts/{person['id']}", {"data": {"is_organization": True}})
    assert resp.status_code == 422 and error_of(resp)["field"] == "/data/is_organization"
    resp = api.call("PUT", f"/v2/contacts/{person['id']}",
                    {"data": {"is_organization": False, "title": "t"}})
    assert resp.status_code == 200


def test_tags_replaced_custom_fields_merged(api: Api) -> None:
    person = api.create("/v2/contacts", last_name="x", tags=["a", "b"],
                        custom_fields={"Segment": "SMB", "Customer since": "2020-01-01"})
    resp = api.call("PUT", f"/v2/contacts/{person['id']}",
                    {"data": {"tags": ["c"], "custom_fields": {"Segment": None}}})
    data = resp.json()["data"]
    assert data["tags"] == ["c"]
    assert data["custom_fields"] == {"Customer since": "2020-01-01"}


def test_deleting_a_deal_removes_its_associated_contacts(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name="x")
    deal = api.create("/v2/deals", name="d", contact_id=contact["id"])
    api.create(f"/v2/deals/{deal['id']}/associated_contacts", contact_id=contact["id"])
    assert api.call("DELETE", f"/v2/deals/{deal['id']}").status_code == 204
    resp = api.get(f"/v2/deals/{deal['id']}/associated_contacts")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


def test_deleting_an_order_removes_its_line_items(api: Api, basecrm_mock: Any) -> None:
    contact = api.create("/v2/contacts", last_name="x")
    deal = api.create("/v2/deals", name="d", contact_id=contact["id"])
    order = api.create("/v2/orders", deal_id=deal["id"])
    item = api.create(f"/v2/orders/{order['id']}/line_items", product_id=2, value="51",
                      currency="USD", quantity=2)
    assert item["price"] == "25.50" and item["name"] == "Coffee beans 1 kg"
    api.call("DELETE", f"/v2/orders/{order['id']}")
    with basecrm_mock.app.store.read() as store:
        assert store.execute('SELECT count(*) FROM "line_items"').fetchone()[0] == 0


def test_line_item_needs_a_price_in_its_currency(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name="x")
    order = api.create("/v2/orders", deal_id=api.create("/v2/deals", name="d",
                                                        contact_id=contact["id"])["id"])
    resp = api.call("POST", f"/v2/orders/{order['id']}/line_items",
                    {"data": {"product_id": 2, "value": "1", "currency": "EUR"}})
    assert resp.status_code == 422 and error_of(resp)["field"] == "/data/currency"


def test_upsert(api: Api) -> None:
    resp = api.call("POST", "/v2/contacts/upsert", {"data": {"last_name": "x"}})
    assert resp.status_code == 400  # at least one filter
    resp = api.call("POST", "/v2/contacts/upsert", {"data": {"last_name": "x"}},
                    params={"email": "x@example.com"})
    assert resp.status_code == 200
    api.create("/v2/contacts", last_name="twin", email="twin@example.com")
    api.create("/v2/contacts", last_name="twin", email="twin@example.com")
    resp = api.call("POST", "/v2/contacts/upsert", {"data": {"title": "t"}},
                    params={"email": "twin@example.com"})
    assert resp.status_code == 409 and error_of(resp)["code"] == "conflict"


def test_nested_parent_must_exist(api: Api) -> None:
    resp = api.get("/v2/orders/999/line_items")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


def test_lead_conversion_once(api: Api) -> None:
    lead = api.create("/v2/leads", last_name="Hopper")
    conversion = api.create("/v2/lead_conversions", lead_id=lead["id"])
    assert conversion["individual_id"] and conversion["organization_id"] is None
    resp = api.call("POST", "/v2/lead_conversions", {"data": {"lead_id": lead["id"]}})
    assert resp.status_code == 422 and error_of(resp)["code"] == "already_exists"


def test_custom_fields_paths(api: Api) -> None:
    names = lambda kind: {i["data"]["name"] for i in  # noqa: E731
                          api.get(f"/v2/{kind}/custom_fields").json()["items"]}
    assert names("deal") == names("deals") == {"Lead ID", "Contract type"}
    assert api.get("/v2/widget/custom_fields").status_code == 404


def test_head_request(api: Api) -> None:
    resp = api.call("HEAD", "/v2/users/self")
    assert resp.status_code == 200 and resp.content == b""


# -- test helpers ---------------------------------------------------------------------------------

def test_request_log_and_reset(api: Api) -> None:
    requests.delete(api.url + "/_mock/requests", timeout=10)
    api.create("/v2/contacts", last_name="x")
    api.get("/v2/contacts", params={"last_name": "x"})
    log = requests.get(api.url + "/_mock/requests", timeout=10).json()["items"]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("POST", "/v2/contacts", 200), ("GET", "/v2/contacts", 200)]
    assert log[0]["body"] == {"data": {"last_name": "x"}} and log[1]["query"] == {"last_name": "x"}
    assert log[1]["body"] is None
    assert requests.post(api.url + "/_mock/reset", timeout=10).status_code == 200
    assert api.get("/v2/contacts").json()["items"] == []
    assert requests.get(api.url + "/_mock/requests", timeout=10).json()["items"] == [
        {"method": "GET", "path": "/v2/contacts", "query": {}, "status": 200, "body": None,
         "fault": None}]


def test_ids_restart_after_reset(api: Api) -> None:
    first = api.create("/v2/contacts", last_name="x")["id"]
    requests.post(api.url + "/_mock/reset", timeout=10)
    assert api.create("/v2/contacts", last_name="x")["id"] == first


def test_register_token(api: Api, basecrm_mock: Any) -> None:
    token = "u" * 64
    resp = requests.post(api.url + "/_mock/tokens", json={"token": token, "user_id": 2},
                         timeout=10)
    assert resp.status_code == 200
    me = requests.get(api.url + "/v2/users/self", timeout=10,
                      headers={"Authorization": f"Bearer {token}", "User-Agent": "t"})
    assert me.json()["data"]["id"] == 2
    basecrm_mock.app.tokens.remove(token)


def test_expired_token(api: Api, basecrm_mock: Any) -> None:
    token = "e" * 64
    basecrm_mock.app.add_token(token, user_id=1, expires_at=1.0)
    resp = requests.get(api.url + "/v2/users/self", timeout=10,
                        headers={"Authorization": f"Bearer {token}", "User-Agent": "t"})
    assert resp.status_code == 401
    assert "expired" in error_of(resp)["details"]
    basecrm_mock.app.tokens.remove(token)
