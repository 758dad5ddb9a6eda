"""Services generated from the catalog: every action's signature, method and path."""
from __future__ import annotations

import inspect
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

import basecrm_like
from basecrm_like import Client, UnknownAttributeError, resources, services
from basecrm_like.resources import RESOURCES, Resource

BASE = "https://api.example.test"
TOKEN = "q" * 64

ACTION_METHODS = {
    "list": ("GET", "", ["**params"]),
    "create": ("POST", "", ["*args", "**kwargs"]),
    "retrieve": ("GET", "/{id}", ["id", "includes"]),
    "update": ("PUT", "/{id}", ["id", "*args", "**kwargs"]),
    "destroy": ("DELETE", "/{id}", ["id"]),
    "upsert": ("POST", "/upsert", ["filters", "*args", "**kwargs"]),
    "self": ("GET", "/self", []),
}
ALL_METHODS = ("list", "iterate", "list_all", "create", "retrieve", "update", "destroy",
               "upsert", "self")


def make_client(**options: Any) -> Client:
    return Client(access_token=TOKEN, base_url=BASE, max_retries=0, **options)


def param_names(func: Any) -> list[str]:
    out = []
    for p in inspect.signature(func).parameters.values():
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        out.append(prefix + p.name)
    return out


def minimal_attributes(res: Resource) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    examples = {"integer": 1, "decimal": "1.5", "boolean": True}
    for name in res.required:
        spec = res.field(name)
        attrs[name] = examples.get(spec.type if spec else "", "x")
    for group in res.required_any:
        attrs.setdefault(group[0], "x")
    for rule in res.required_if:
        if rule.value is False:
            attrs.update({f: "x" for f in rule.fields})
    if not attrs:
        writable = sorted(res.writable)
        attrs[writable[0]] = "x"
    return attrs


def sample(res: Resource) -> dict[str, Any]:
    record = {"id": 7}
    for spec in res.decimal_fields:
        record[spec.name] = "10.50" if spec.type == "decimal" else [{"amount": "10.50", "currency": "USD"}]
    return record


CASES = [(res, action) for res in RESOURCES for action in sorted(res.actions)]


@pytest.mark.parametrize(("res", "action"), CASES, ids=[f"{r.name}.{a}" for r, a in CASES])
@responses.activate
def test_every_catalog_action(res: Resource, action: str) -> None:
    client = make_client()
    service = getattr(client, res.name)
    assert isinstance(service, getattr(basecrm_like, res.service_name))
    method, suffix, tail = ACTION_METHODS[action]
    parents = list(res.parent_params)
    func = getattr(service, action)
    expected = parents + [res.id_field if t == "id" else t for t in tail]
    assert param_names(func) == expected

    parent_values = {name: f"p{i}" if name == "resource_type" else 10 + i
                     for i, name in enumerate(parents)}
    path = res.path.format(**parent_values) + suffix.replace("{id}", "99")
    url = f"{BASE}/v2{path}"
    body: Any = {"items": [{"data": sample(res), "meta": {"type": res.type}}]} if action == "list" \
        else {"data": sample(res), "meta": {"type": res.type}}
    if action == "destroy":
        responses.add(method, url, status=204)
    else:
        responses.add(method, re.compile(re.escape(url) + r"(\?.*)?$"), json=body)

    args: list[Any] = list(parent_values.values())
    kwargs: dict[str, Any] = {}
    if action in ("retrieve", "update", "destroy"):
        args.append(99)
    if action in ("create", "update"):
        args.append(minimal_attributes(res))
    if action == "upsert":
        args += [{"email": "a@example.com"}, minimal_attributes(res)]
    if action == "list":
        kwargs = {"page": 2}
    result = func(*args, **kwargs)

    sent = responses.calls[0].request
    assert sent.method == method
    assert urlsplit(sent.url).path == f"/v2{path}"
    if action == "destroy":
        assert result is True
        return
    if action in ("create", "update", "upsert"):
        assert json.loads(sent.body)["data"] == minimal_attributes(res)
    if action == "upsert":
        assert parse_qs(urlsplit(sent.url).query) == {"email": ["a@example.com"]}
    record = result[0] if action == "list" else result
    assert record.id == 7
    for spec in res.decimal_fields:
        value = record[spec.name]
        assert (value if spec.type == "decimal" else value[0]["amount"]) == Decimal("10.50")


@pytest.mark.parametrize("res", RESOURCES, ids=[r.name for r in RESOURCES])
def test_unsupported_actions_are_absent(res: Resource) -> None:
    service = getattr(make_client(), res.name)
    for name in ALL_METHODS:
        supported = services._METHOD_ACTIONS[name] in res.actions
        assert hasattr(service, name) is supported, name


def test_catalog_and_client_agree() -> None:
    assert set(services.SERVICE_CLASSES) == set(resources.CATALOG)
    annotated = set(Client.__annotations__) - {"sync"}
    assert annotated == set(resources.CATALOG)
    for res in RESOURCES:
        assert services.SERVICE_CLASSES[res.name].__name__ == res.service_name
        assert res.service_name in basecrm_like.__all__


def test_unsupported_action_message_lists_supported_ones() -> None:
    with pytest.raises(AttributeError, match="offers list"):
        make_client().pipelines.create  # noqa: B018


@responses.activate
def test_read_only_attributes_are_dropped_and_unknown_refused() -> None:
    responses.put(f"{BASE}/v2/contacts/1", json={"data": {"id": 1}})
    client = make_client()
    fetched = {"id": 1, "created_at": "2020-01-01T00:00:00Z", "creator_id": 3,
               "last_name": "Lovelace", "updated_at": "2020-01-02T00:00:00Z"}
    client.contacts.update(1, fetched)
    assert json.loads(responses.calls[0].request.body) == {"data": {"last_name": "Lovelace"}}
    with pytest.raises(UnknownAttributeError) as info:
        client.contacts.update(1, frist_name="Ada")
    assert str(info.value) == "unknown attribute 'frist_name' for Contact; did you mean 'first_name'?"
    assert isinstance(info.value, ValueError)
    assert len(responses.calls) == 1  # refused before any request


@responses.activate
def test_strict_false_sends_unknown_attributes() -> None:
    responses.post(f"{BASE}/v2/contacts", json={"data": {"id": 1}})
    make_client(strict=False).contacts.create(last_name="L", brand_new_field=1)
    assert json.loads(responses.calls[0].request.body) == {"data": {"last_name": "L", "brand_new_field": 1}}


@responses.activate
def test_decimal_values_go_out_exact() -> None:
    responses.post(f"{BASE}/v2/deals", json={"data": {"id": 1, "value": "1000.99"}})
    client = make_client()
    for value in (1000.99, Decimal("1000.99"), "1000.99"):
        deal = client.deals.create(name="D", contact_id=1, value=value)
        assert deal.value == Decimal("1000.99")
    sent = [json.loads(c.request.body)["data"]["value"] for c in responses.calls]
    assert sent == ["1000.99"] * 3
    with pytest.raises(ValueError, match="decimal"):
        client.deals.create(name="D", contact_id=1, value="12,5")


@responses.activate
def test_product_prices_are_decimals() -> None:
    responses.post(f"{BASE}/v2/products", json={"data": {"id": 1, "prices": [{"amount": "9.99", "currency": "EUR"}]}})
    product = make_client().products.create(name="P", prices=[{"amount": 9.99, "currency": "EUR"}])
    assert product.prices[0].amount == Decimal("9.99")
    assert json.loads(responses.calls[0].request.body)["data"]["prices"] == [{"amount": "9.99", "currency": "EUR"}]


def test_missing_attributes_raise_before_request() -> None:
    with pytest.raises(ValueError, match="attributes for Contact are missing"):
        make_client().contacts.create()


@responses.activate
def test_iterate_walks_pages_lazily() -> None:
    pages = {1: 100, 2: 100, 3: 37}

    def answer(request: Any) -> tuple[int, dict, str]:
        query = parse_qs(urlsplit(request.url).query)
        page, per_page = int(query["page"][0]), int(query["per_page"][0])
        assert per_page == 100 and query["sort_by"] == ["id:asc"]
        items = [{"data": {"id": (page - 1) * 100 + i}} for i in range(pages.get(page, 0))]
        return 200, {"Content-Type": "application/json"}, json.dumps({"items": items})

    responses.add_callback(responses.GET, re.compile(rf"{BASE}/v2/contacts\?.*"), callback=answer)
    iterator = make_client().contacts.iterate(sort_by="id:asc")
    assert len(responses.calls) == 0  # lazy: nothing until consumed
    first = next(iterator)
    assert first.id == 0 and len(responses.calls) == 1
    rest = list(iterator)
    assert len(rest) + 1 == 237
    assert len(responses.calls) == 3  # stopped on the short page


@responses.activate
def test_list_all_stops_on_empty_page() -> None:
    full = {"items": [{"data": {"id": i}} for i in range(100)]}
    responses.get(re.compile(rf"{BASE}/v2/notes\?.*page=1.*"), json=full)
    responses.get(re.compile(rf"{BASE}/v2/notes\?.*page=2.*"), json={"items": []})
    assert len(make_client().notes.list_all()) == 100
    assert len(responses.calls) == 2


@responses.activate
def test_list_returns_one_page_like_the_official_client() -> None:
    responses.get(re.compile(rf"{BASE}/v2/contacts.*"), json={"items": [{"data": {"id": 1}}]})
    assert [c.id for c in make_client().contacts.list(per_page=1)] == [1]
    assert len(responses.calls) == 1


@responses.activate
def test_custom_field_filters_both_spellings() -> None:
    responses.get(re.compile(rf"{BASE}/v2/contacts.*"), json={"items": []})
    client = make_client()
    client.contacts.list(**{"custom_fields[industry]": "Retail"})
    client.contacts.list(custom_fields={"industry": "Retail"})
    queries = [parse_qs(urlsplit(c.request.url).query) for c in responses.calls]
    assert queries[0] == queries[1] == {"custom_fields[industry]": ["Retail"]}


@responses.activate
def test_upsert_with_custom_field_filter() -> None:
    responses.post(re.compile(rf"{BASE}/v2/deals/upsert.*"), json={"data": {"id": 3, "value": "5"}})
    deal = make_client().deals.upsert({"custom_fields": {"external_id": "A-1"}}, name="D", contact_id=1)
    assert deal.id == 3 and deal.value == Decimal("5")
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query == {"custom_fields[external_id]": ["A-1"]}
    with pytest.raises(ValueError, match="at least one filter"):
        make_client().deals.upsert({}, name="D")


@responses.activate
def test_nested_methods_accept_keywords() -> None:
    responses.get(f"{BASE}/v2/orders/5/line_items/6", json={"data": {"id": 6}})
    responses.delete(f"{BASE}/v2/deals/1/associated_contacts/2", status=204)
    client = make_client()
    assert client.line_items.retrieve(order_id=5, id=6).id == 6
    assert client.associated_contacts.destroy(deal_id=1, contact_id=2) is True
    with pytest.raises(TypeError, match="order_id"):
        client.line_items.list()


@responses.activate
def test_escape_hatch_request() -> None:
    responses.get(re.compile(rf"{BASE}/v2/collaborations.*"),
                  json={"items": [{"data": {"id": 1, "resource_type": "deal"}}]})
    answer = make_client().request("GET", "/collaborations", params={"resource_type": "deal"})
    assert answer[0].resource_type == "deal"
    assert "resource_type=deal" in responses.calls[0].request.url
