"""Wire-level behaviour of the mock server: envelopes, headers, every validation
branch, pagination, filters, sorting, nested resources and referential rules.

Uses ``requests`` directly, so what is checked is the bytes a client sees. The
tests marked ``contract`` check API behaviour and run through the ``contract``
fixture, so they can be pointed at a real account (see the mock guide): they name
what they create with the run id, and the fixture deletes it at the end. The
unmarked ones use the mock's own test helpers (``/_mock/...``, ``app.insert``).
"""
from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
import requests

from tests.support.contract import ContractTarget, contract

__all__ = ["contract"]  # the contract suite's fixture, for the tests marked below

#: an id no record of a real account has (ids are far below 2**53)
NO_ID = 9_007_199_254_740_000


class Api:
    """A thin requests wrapper: base URL, token and User-Agent, JSON envelopes; what a
    contract test creates is remembered for the clean-up."""

    def __init__(self, url: str, token: str, target: ContractTarget | None = None) -> None:
        self.url = url
        self.token = token
        self.target = target
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     "User-Agent": "mock-tests/1.0",
                                     "Accept": "application/json"})

    @property
    def real(self) -> bool:
        return self.target is not None and self.target.real

    def name(self, label: str) -> str:
        """``label`` with the run id (records a contract test creates carry it)."""
        return self.target.name(label) if self.target is not None else label

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             **kwargs: Any) -> requests.Response:
        if body is not None:
            kwargs["json"] = body
        if raw is not None:
            kwargs["data"] = raw
        resp = self.session.request(method, self.url + path, timeout=30, **kwargs)
        if (self.target is not None and method == "POST" and resp.status_code in (200, 201)
                and path.startswith("/v2/")):
            self.target.adopt_answer(path, resp.json().get("data") or {})
        return resp

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def create(self, path: str, **attributes: Any) -> dict[str, Any]:
        resp = self.call("POST", path, {"data": attributes})
        assert resp.status_code in (200, 201), resp.text
        return dict(resp.json()["data"])

    def ids(self, path: str, **params: Any) -> list[int]:
        return [item["data"]["id"] for item in self.get(path, params=params).json()["items"]]


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Api:
    """The contract target for tests marked ``contract``, the mock for the others."""
    if request.node.get_closest_marker("contract") is not None:
        target: ContractTarget = request.getfixturevalue("contract")
        return Api(target.url, target.token, target)
    server = request.getfixturevalue("basecrm_mock")
    return Api(server.url, server.token)


def error_of(resp: requests.Response) -> dict[str, Any]:
    body = resp.json()
    assert body["meta"]["type"] == "errors"
    assert body["meta"]["logref"] == resp.headers["X-Request-Id"]
    assert body["meta"]["http_status"].startswith(str(resp.status_code) + " ")
    item = body["errors"][0]
    assert item["meta"]["type"] == "error" and item["meta"]["links"]["more_info"]
    return dict(item["error"])


# -- envelopes and headers --------------------------------------------------------------------

@pytest.mark.contract
def test_single_envelope_and_headers(api: Api) -> None:
    resp = api.get("/v2/users/self")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert resp.headers["Content-Language"] == "en"
    uuid.UUID(resp.headers["X-Request-Id"])
    body = resp.json()
    assert body["meta"] == {"type": "user"} and isinstance(body["data"]["id"], int)


@pytest.mark.contract
def test_collection_envelope(api: Api) -> None:
    body = api.get("/v2/stages").json()
    assert body["meta"]["type"] == "collection" and body["meta"]["count"] == len(body["items"])
    assert body["items"] and {i["meta"]["type"] for i in body["items"]} == {"stage"}
    links = body["meta"]["links"]
    assert "self" in links and "first_page" in links and "prev_page" not in links


def test_seeded_stages(api: Api) -> None:
    body = api.get("/v2/stages").json()
    assert [i["data"]["name"] for i in body["items"]] == [
        "Incoming", "Qualified", "Quote", "Closure", "Won", "Lost", "Unqualified"]
    assert set(body["meta"]["links"]) == {"self", "first_page"}


@pytest.mark.contract
def test_create_is_2xx_and_delete_is_204_empty(api: Api) -> None:
    resp = api.call("POST", "/v2/tags", {"data": {"name": api.name("vip"),
                                                  "resource_type": "lead"}})
    assert resp.status_code in (200, 201) and resp.json()["meta"]["type"] == "tag"
    if not api.real:
        assert resp.status_code == 200   # the mock's choice
    tag_id = resp.json()["data"]["id"]
    resp = api.call("DELETE", f"/v2/tags/{tag_id}")
    assert resp.status_code == 204 and resp.content == b""
    assert "X-Request-Id" in resp.headers


@pytest.mark.contract
def test_timestamps_and_server_set_fields(api: Api) -> None:
    me = api.get("/v2/users/self").json()["data"]["id"]
    contact = api.create("/v2/contacts", last_name=api.name("Turing"), id=NO_ID, creator_id=7,
                         created_at="2000-01-01T00:00:00Z")
    assert contact["id"] != NO_ID and contact["creator_id"] == me
    assert contact["created_at"].endswith("Z") and len(contact["created_at"]) == 20
    assert contact["created_at"] != "2000-01-01T00:00:00Z"


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.contract
@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_unauthorized(api: Api, header: str | None) -> None:
    headers = {"User-Agent": "t"}
    if header is not None:
        headers["Authorization"] = header
    resp = requests.get(api.url + "/v2/contacts", headers=headers, timeout=30)
    assert resp.status_code == 401
    assert error_of(resp)["code"] == "unauthorized"


@pytest.mark.contract
def test_missing_user_agent(api: Api) -> None:
    # http.client sends no User-Agent of its own (requests/urllib3 would add one)
    scheme, _, host = api.url.partition("://")
    connection = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = connection(host.split("/")[0], timeout=30)
    conn.request("GET", "/v2/contacts", headers={"Authorization": f"Bearer {api.token}"})
    raw = conn.getresponse()
    body = raw.read()
    conn.close()
    assert raw.status == 400
    assert json.loads(body)["errors"][0]["error"]["code"] == "invalid_user_agent"


@pytest.mark.contract
def test_not_acceptable(api: Api) -> None:
    resp = api.get("/v2/contacts", headers={"Accept": "text/html"})
    assert resp.status_code == 406


@pytest.mark.contract
def test_unknown_query_param(api: Api) -> None:
    resp = api.get("/v2/contacts", params={"frist_name": "x"})
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["code"] == "unknown_param" and "frist_name" in err["message"]
    contact = api.create("/v2/contacts", last_name=api.name("Params"))
    resp = api.get(f"/v2/contacts/{contact['id']}", params={"page": "2"})
    assert resp.status_code == 400 and error_of(resp)["code"] == "unknown_param"


@pytest.mark.contract
def test_unknown_attribute(api: Api) -> None:
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": api.name("x"),
                                                      "frist_name": "y"}})
    assert resp.status_code == 422
    err = error_of(resp)
    assert err == {**err, "code": "unknown", "field": "/data/frist_name", "resource": "contact"}


@pytest.mark.contract
def test_read_only_attribute(api: Api) -> None:
    task = api.create("/v2/tasks", content=api.name("x"))
    # echoing the stored value back is accepted (clients send fetched records back)
    resp = api.call("PUT", f"/v2/tasks/{task['id']}", {"data": {**task, "content": api.name("y")}})
    assert resp.status_code == 200 and resp.json()["data"]["content"] == api.name("y")
    assert api.create("/v2/tasks", content=api.name("x"), overdue=False)["overdue"] is False
    resp = api.call("POST", "/v2/tasks", {"data": {"content": api.name("x"),
                                                   "completed_at": "2020-01-01"}})
    assert resp.status_code == 422
    resp = api.call("PUT", f"/v2/tasks/{task['id']}", {"data": {"overdue": True}})
    assert resp.status_code == 422
    err = error_of(resp)
    assert err["code"] == "unknown" and err["field"] == "/data/overdue"
    assert "read-only" in err["message"]


@pytest.mark.contract
def test_missing_required(api: Api) -> None:
    resp = api.call("POST", "/v2/deals", {"data": {"name": api.name("x")}})
    assert resp.status_code == 422
    err = error_of(resp)
    assert (err["code"], err["field"]) == ("missing", "/data/contact_id")
    resp = api.call("POST", "/v2/contacts", {"data": {"is_organization": True}})
    assert error_of(resp)["field"] == "/data/name"
    resp = api.call("POST", "/v2/leads", {"data": {"first_name": api.name("x")}})
    assert resp.status_code == 422 and error_of(resp)["code"] == "missing"
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": ""}})
    assert error_of(resp)["code"] == "blank"


@pytest.mark.contract
def test_every_problem_reported_at_once(api: Api) -> None:
    resp = api.call("POST", "/v2/deals", {"data": {"name": 5, "hot": "yes", "bogus": 1}})
    fields = {e["error"]["field"]: e["error"]["code"] for e in resp.json()["errors"]}
    assert fields == {"/data/name": "invalid_type", "/data/hot": "invalid_type",
                      "/data/bogus": "unknown"}


@pytest.mark.contract
@pytest.mark.parametrize("attrs,field", [
    ({"last_name": 5}, "/data/last_name"),
    ({"owner_id": "1"}, "/data/owner_id"),
    ({"tags": "vip"}, "/data/tags"),
    ({"tags": ["ok", 3]}, "/data/tags/1"),
    ({"address": {"city": 3}}, "/data/address/city"),
    ({"is_organization": "false"}, "/data/is_organization"),
])
def test_invalid_type(api: Api, attrs: dict[str, Any], field: str) -> None:
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": api.name("x"), **attrs}})
    assert resp.status_code == 422
    assert (error_of(resp)["code"], error_of(resp)["field"]) == ("invalid_type", field)


@pytest.mark.contract
def test_incorrect_value(api: Api) -> None:
    resp = api.call("POST", "/v2/contacts", {"data": {"last_name": api.name("x"),
                                                      "customer_status": "gold"}})
    assert resp.status_code == 422 and error_of(resp)["code"] == "incorrect_value"
    resp = api.call("POST", "/v2/tasks", {"data": {"content": api.name("x"),
                                                   "due_date": "tomorrow"}})
    assert error_of(resp)["code"] == "incorrect_value"


@pytest.mark.contract
def test_not_found_and_incorrect_path(api: Api) -> None:
    resp = api.get(f"/v2/contacts/{NO_ID}")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"
    for path in ("/v2/nothing", "/v2/contacts/abc", "/v3/contacts", "/"):
        resp = api.get(path)
        assert resp.status_code == 404 and error_of(resp)["code"] == "incorrect_path", path


@pytest.mark.contract
def test_method_not_allowed(api: Api) -> None:
    resp = api.call("DELETE", "/v2/stages")
    assert resp.status_code == 405
    assert error_of(resp)["code"] == "method_not_allowed"
    assert "GET" in resp.headers["Allow"]
    resp = api.call("PUT", "/v2/orders/1/line_items/1", {"data": {}})
    assert resp.status_code == 405


@pytest.mark.contract
@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'{"last_name": "x"}',
                                 b'{"data": [1]}', b'{"data": {}, "extra": 1}', b"\xff\xfe"])
def test_invalid_payload(api: Api, raw: bytes) -> None:
    resp = api.call("POST", "/v2/contacts", raw=raw,
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "invalid_payload"


@pytest.mark.contract
def test_body_too_large(api: Api) -> None:
    big = json.dumps({"data": {"last_name": "x" * (1024 * 1024 + 10)}}).encode()
    resp = api.call("POST", "/v2/contacts", raw=big, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413
    assert error_of(resp)["code"] == "request_too_large"


@pytest.mark.contract
def test_nothing_half_written_on_error(api: Api) -> None:
    lead = api.create("/v2/leads", last_name=api.name("Half"))
    resp = api.call("POST", "/v2/lead_conversions", {"data": {"lead_id": lead["id"],
                                                              "owner_id": NO_ID}})
    assert resp.status_code == 422
    assert api.get("/v2/contacts", params={"last_name": api.name("Half")}).json()["items"] == []


# -- pagination, filters, sorting ------------------------------------------------------------

@pytest.mark.contract
def test_empty_collection(api: Api) -> None:
    body = api.get("/v2/contacts", params={"last_name": api.name("Nobody")}).json()
    assert body["items"] == [] and body["meta"]["count"] == 0
    assert "next_page" not in body["meta"]["links"]


@pytest.mark.contract
def test_pagination_edges(api: Api) -> None:
    name = api.name("Page")
    for _ in range(101):
        api.create("/v2/contacts", last_name=name)
    page1 = api.get("/v2/contacts", params={"per_page": 100, "last_name": name}).json()
    assert page1["meta"]["count"] == 100
    links = page1["meta"]["links"]
    assert "prev_page" not in links and "page=2" in links["next_page"]
    assert "per_page=100" in links["next_page"]
    page2 = api.session.get(links["next_page"], timeout=30).json()
    assert page2["meta"]["count"] == 1 and "next_page" not in page2["meta"]["links"]
    assert "page=1" in page2["meta"]["links"]["prev_page"]
    ids = [i["data"]["id"] for i in page1["items"] + page2["items"]]
    assert len(set(ids)) == 101
    assert api.get("/v2/contacts", params={"page": 9, "last_name": name}).json()["items"] == []
    assert api.get("/v2/contacts", params={"last_name": name}).json()["meta"]["count"] == 25


def test_exactly_one_full_page(api: Api, basecrm_mock: Any) -> None:
    for i in range(100):
        basecrm_mock.app.insert("contacts", {"last_name": f"P{i:04d}"})
    body = api.get("/v2/contacts", params={"per_page": 100}).json()
    assert body["meta"]["count"] == 100 and "next_page" not in body["meta"]["links"]
    assert api.get("/v2/contacts", params={"per_page": 100, "page": 2}).json()["items"] == []


@pytest.mark.contract
@pytest.mark.parametrize("params", [{"per_page": 0}, {"per_page": 101}, {"per_page": "x"},
                                    {"page": 0}, {"page": "-1"}, {"sort_by": "email"},
                                    {"sort_by": "last_name:up"}, {"ids": "1,a"},
                                    {"is_organization": "yes"}, {"owner_id": "me"}])
def test_invalid_params(api: Api, params: dict[str, Any]) -> None:
    resp = api.get("/v2/contacts", params=params)
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "invalid_param"


@pytest.mark.contract
def test_max_per_page_follows_the_catalog(api: Api) -> None:
    assert api.get("/v2/lead_conversions", params={"per_page": 200}).status_code == 200
    assert api.get("/v2/lead_conversions", params={"per_page": 201}).status_code == 400


@pytest.mark.contract
def test_filters(api: Api) -> None:
    org = api.create("/v2/contacts", name=api.name("Acme"), is_organization=True,
                     address={"city": "Paris", "country": "FR"})
    ada = api.create("/v2/contacts", last_name=api.name("Lovelace"), first_name="Ada",
                     contact_id=org["id"])
    other = api.create("/v2/contacts", last_name=api.name("Babbage"))
    mine = f"{org['id']},{ada['id']},{other['id']}"
    assert api.ids("/v2/contacts", ids=f"{org['id']},{ada['id']}") == [org["id"], ada["id"]]
    assert api.ids("/v2/contacts", ids=mine, is_organization="TRUE") == [org["id"]]
    assert api.ids("/v2/contacts", is_organization="False",
                   last_name=api.name("Lovelace")) == [ada["id"]]
    assert api.ids("/v2/contacts", ids=mine, **{"address[city]": "Paris"}) == [org["id"]]
    assert api.ids("/v2/contacts", contact_id=org["id"]) == [ada["id"]]
    assert api.ids("/v2/contacts", last_name=api.name("lovelace")) == []  # exact match


def test_custom_field_filter(api: Api) -> None:
    org = api.create("/v2/contacts", name="Acme", is_organization=True,
                     custom_fields={"Segment": "Enterprise"})
    api.create("/v2/contacts", last_name="Babbage")
    assert api.ids("/v2/contacts", **{"custom_fields[Segment]": "Enterprise"}) == [org["id"]]


@pytest.mark.contract
def test_sorting(api: Api) -> None:
    made = [api.create("/v2/contacts", last_name=api.name(name), first_name=name.upper())["id"]
            for name in ("b", "c", "a")]
    mine = ",".join(map(str, made))

    def names(sort: str | None) -> list[str]:
        params = {"ids": mine, **({"sort_by": sort} if sort else {})}
        return [i["data"]["first_name"] for i in api.get("/v2/contacts", params=params)
                .json()["items"]]

    assert names("last_name") == ["A", "B", "C"]
    assert names("last_name:desc") == ["C", "B", "A"]
    assert names("id:desc") == ["A", "C", "B"]
    assert names(None) == ["A", "B", "C"]  # catalog default: last_name:asc


@pytest.mark.contract
def test_sort_by_decimal_value(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name=api.name("x"))
    for value in ("10.5", "9", "100"):
        api.create("/v2/deals", name=api.name(value), contact_id=contact["id"], value=value)
    values = [i["data"]["value"] for i in api.get(
        "/v2/deals", params={"sort_by": "value:desc", "contact_id": contact["id"]}).json()["items"]]
    assert values == ["100", "10.5", "9"]


# -- resource rules ------------------------------------------------------------------------------

@pytest.mark.contract
def test_deal_defaults_and_decimal_value(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name=api.name("x"))
    deal = api.create("/v2/deals", name=api.name("d"), contact_id=contact["id"])
    assert deal["value"] == "0" and isinstance(deal["stage_id"], int) and deal["hot"] is False
    if not api.real:
        assert deal["stage_id"] == 1   # the first stage of the default pipeline
    deal = api.create("/v2/deals", name=api.name("d"), contact_id=contact["id"], value=1000.99)
    assert deal["value"] == "1000.99"
    resp = api.call("PUT", f"/v2/deals/{deal['id']}", {"data": {"value": "12.50"}})
    assert resp.json()["data"]["value"] == "12.50"


@pytest.mark.contract
def test_foreign_keys_must_exist(api: Api) -> None:
    resp = api.call("POST", "/v2/deals", {"data": {"name": api.name("d"), "contact_id": NO_ID}})
    assert resp.status_code == 422
    assert error_of(resp)["field"] == "/data/contact_id"
    contact = api.create("/v2/contacts", last_name=api.name("x"))
    resp = api.call("POST", "/v2/deals", {"data": {"name": api.name("d"),
                                                   "contact_id": contact["id"],
                                                   "stage_id": NO_ID}})
    assert error_of(resp)["field"] == "/data/stage_id"
    lead_like = NO_ID if api.real else contact["id"]   # a contact's id is no lead on the mock
    resp = api.call("POST", "/v2/notes", {"data": {"content": api.name("c"),
                                                   "resource_type": "lead",
                                                   "resource_id": lead_like}})
    assert resp.status_code == 422 and error_of(resp)["field"] == "/data/resource_id"


@pytest.mark.contract
def test_is_organization_only_on_create(api: Api) -> None:
    person = api.create("/v2/contacts", last_name=api.name("x"))
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


@pytest.mark.contract
def test_tags_are_replaced_as_a_whole(api: Api) -> None:
    person = api.create("/v2/contacts", last_name=api.name("x"), tags=["a", "b"])
    resp = api.call("PUT", f"/v2/contacts/{person['id']}", {"data": {"tags": ["c"]}})
    assert resp.json()["data"]["tags"] == ["c"]


@pytest.mark.contract
def test_deleting_a_deal_removes_its_associated_contacts(api: Api) -> None:
    contact = api.create("/v2/contacts", last_name=api.name("x"))
    deal = api.create("/v2/deals", name=api.name("d"), contact_id=contact["id"])
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


@pytest.mark.contract
def test_line_item_needs_a_price_in_its_currency(api: Api) -> None:
    product = api.create("/v2/products", name=api.name("Beans"),
                         prices=[{"amount": "25.50", "currency": "USD"}])
    contact = api.create("/v2/contacts", last_name=api.name("x"))
    order = api.create("/v2/orders", deal_id=api.create("/v2/deals", name=api.name("d"),
                                                        contact_id=contact["id"])["id"])
    resp = api.call("POST", f"/v2/orders/{order['id']}/line_items",
                    {"data": {"product_id": product["id"], "value": "1", "currency": "EUR"}})
    assert resp.status_code == 422 and error_of(resp)["field"] == "/data/currency"


@pytest.mark.contract
def test_upsert(api: Api) -> None:
    run = api.name("").strip(" []") or "mock"
    resp = api.call("POST", "/v2/contacts/upsert", {"data": {"last_name": api.name("x")}})
    assert resp.status_code == 400  # at least one filter
    resp = api.call("POST", "/v2/contacts/upsert", {"data": {"last_name": api.name("x")}},
                    params={"email": f"x-{run}@example.com"})
    assert resp.status_code == 200
    twin = f"twin-{run}@example.com"
    api.create("/v2/contacts", last_name=api.name("twin"), email=twin)
    api.create("/v2/contacts", last_name=api.name("twin"), email=twin)
    resp = api.call("POST", "/v2/contacts/upsert", {"data": {"title": "t"}},
                    params={"email": twin})
    assert resp.status_code == 409 and error_of(resp)["code"] == "conflict"


@pytest.mark.contract
def test_nested_parent_must_exist(api: Api) -> None:
    resp = api.get(f"/v2/orders/{NO_ID}/line_items")
    assert resp.status_code == 404 and error_of(resp)["code"] == "not_found"


@pytest.mark.contract
def test_lead_conversion_once(api: Api) -> None:
    lead = api.create("/v2/leads", last_name=api.name("Hopper"))
    conversion = api.create("/v2/lead_conversions", lead_id=lead["id"])
    assert conversion["individual_id"] and conversion["organization_id"] is None
    resp = api.call("POST", "/v2/lead_conversions", {"data": {"lead_id": lead["id"]}})
    assert resp.status_code == 422 and error_of(resp)["code"] == "already_exists"


@pytest.mark.contract
def test_custom_fields_paths(api: Api) -> None:
    names = lambda kind: {i["data"]["name"] for i in  # noqa: E731
                          api.get(f"/v2/{kind}/custom_fields").json()["items"]}
    assert names("deal") == names("deals")
    assert api.get("/v2/widget/custom_fields").status_code == 404


def test_seeded_custom_fields(api: Api) -> None:
    assert {i["data"]["name"] for i in api.get("/v2/deal/custom_fields").json()["items"]} == {
        "Lead ID", "Contract type"}


@pytest.mark.contract
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
