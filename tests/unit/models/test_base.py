"""Models over the services, with the HTTP layer faked by ``responses``."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from basecrm_like import Client, RequestError, UnknownAttributeError, models, resources
from basecrm_like.models import Collection, Model, ReadOnlyAttributeError, model_for

BASE = "https://api.example.test"
TOKEN = "m" * 64


@pytest.fixture
def client() -> Client:
    return Client(access_token=TOKEN, base_url=BASE, max_retries=0)


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def one(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "meta": {"type": type_}}


def many(type_: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": [{"data": r, "meta": {"type": type_}} for r in rows],
            "meta": {"type": "collection", "count": len(rows)}}


DEAL = {"id": 5, "name": "Chemex", "value": "10.50", "currency": "USD", "stage_id": 3,
        "contact_id": 9, "owner_id": 2, "organization_id": 11, "hot": False,
        "tags": ["coffee"], "custom_fields": {"size": "L"},
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}


def bodies(api: Any, method: str) -> list[Any]:
    return [json.loads(c.request.body)["data"] for c in api.calls if c.request.method == method]


def query(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def paths(api: Any) -> list[str]:
    return [f"{c.request.method} {urlsplit(c.request.url).path}" for c in api.calls]


# -- generated classes -------------------------------------------------------------
def test_one_model_per_resource_reachable_by_name() -> None:
    for res in resources.RESOURCES:
        cls = model_for(res.name)
        assert issubclass(cls, Model) and cls.__name__ == res.model_name
        assert getattr(models, res.model_name) is cls
        assert model_for(res.type) is cls and model_for(res.model_name) is cls
    assert models.Deal is model_for("deals")


def test_unknown_model_names_suggest() -> None:
    with pytest.raises(KeyError, match="did you mean 'deals'"):
        model_for("deels")
    with pytest.raises(AttributeError, match="did you mean 'Deal'"):
        models.Deel  # noqa: B018


def test_no_name_collisions_in_catalog() -> None:
    api_names = {n for n in dir(Model) if not n.startswith("_")}
    for res in resources.RESOURCES:
        cls = model_for(res.name)
        fields = set(res.field_names)
        assert not fields & api_names, res.name
        assert not set(cls._links) & fields and not set(cls._reverse) & fields
        assert not set(cls._links) & set(cls._reverse)
        # every foreign key to a top-level resource got its link
        for f in res.foreign_keys:
            if f.ref == resources.POLYMORPHIC or not resources.get(f.ref or "").parent_params:
                assert any(link.field == f.name for link in cls._links.values()), f.name


def test_link_naming_rules() -> None:
    contact, deal, user = models.Contact, models.Deal, models.User
    assert deal._links["stage"].target == "stages"
    assert deal._links["owner"].target == "users"
    assert deal._links["organization"].field == "organization_id"
    assert models.Note._links["resource"].target is None
    assert contact._reverse["deals"].field == "contact_id"
    assert contact._reverse["organization_deals"].field == "organization_id"
    assert contact._reverse["notes"].polymorphic
    assert contact._reverse["contacts"].field == "contact_id"
    assert deal._reverse["associated_contacts"].nested
    assert models.Order._reverse["line_items"].nested
    assert {"owner_deals", "creator_deals"} <= set(user._reverse)
    # a polymorphic key only links to the types its resource_type allows
    assert "sequence_enrollments" in contact._reverse
    assert "sequence_enrollments" not in deal._reverse


def test_get_and_new_only_where_the_api_allows(client: Client) -> None:
    assert hasattr(client.deals, "get") and hasattr(client.deals, "new")
    assert hasattr(client.users, "get") and not hasattr(client.users, "new")
    assert not hasattr(client.stages, "get") and not hasattr(client.stages, "new")
    assert hasattr(client.associated_contacts, "new")
    assert not hasattr(client.associated_contacts, "get")


# -- lazy loading -----------------------------------------------------------------
def test_lazy_get_costs_nothing_until_a_field_is_read(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = client.deals.get(5)
    assert deal.id == 5 and not deal.is_loaded and len(api.calls) == 0
    assert "lazy" in repr(deal) and "Deal" in repr(deal)
    assert deal.name == "Chemex"
    assert deal.value == Decimal("10.50")
    assert deal["currency"] == "USD"
    assert len(api.calls) == 1 and deal.is_loaded and not deal.is_dirty
    assert repr(deal) == "<Deal id=5 loaded>"


def test_eager_get_raises_for_a_missing_id(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/404", status=404, json={
        "errors": [{"error": {"code": "not_found", "message": "Not Found"}}], "meta": {}})
    with pytest.raises(RequestError) as info:
        client.deals.get(404, lazy=False)
    assert info.value.http_status == 404
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = client.deals.get(5, lazy=False)
    assert deal.is_loaded and len(api.calls) == 2


def test_lazy_get_raises_on_first_read(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/404", status=404, json={"errors": [], "meta": {}})
    deal = client.deals.get(404)
    with pytest.raises(RequestError):
        deal.name  # noqa: B018


def test_to_dict_loads_and_returns_plain_values(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    data = client.deals.get(5).to_dict()
    assert type(data) is dict and type(data["custom_fields"]) is dict
    assert data["value"] == Decimal("10.50") and data["name"] == "Chemex"


# -- dirty tracking and save --------------------------------------------------------
def test_save_sends_only_the_changed_field(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    api.put(f"{BASE}/v2/deals/5", json=one("deal", {**DEAL, "name": "Aeropress",
                                                     "value": "99"}))
    deal = client.deals.get(5, lazy=False)
    deal.name = "Aeropress"
    assert deal.changed_fields == ("name",) and "dirty=name" in repr(deal)
    assert deal.save() is deal
    assert bodies(api, "PUT") == [{"name": "Aeropress"}]
    # the object now holds the server's answer (including someone else's change) and is clean
    assert deal.value == Decimal("99") and not deal.is_dirty


def test_save_without_changes_makes_no_request(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = client.deals.get(5, lazy=False)
    deal.save()
    deal.name = "Chemex"  # same value: not a change
    deal.value = "10.5"   # the same decimal
    deal.save()
    assert len(api.calls) == 1


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d.custom_fields.__setitem__("size", "XL"), "custom_fields"),
    (lambda d: d.tags.append("hot"), "tags"),
    (lambda d: d.__setattr__("hot", True), "hot"),
])
def test_nested_changes_count(client: Client, api: Any, mutate: Any, field: str) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    api.put(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = client.deals.get(5, lazy=False)
    mutate(deal)
    assert deal.changed_fields == (field,)
    deal.save()
    assert list(bodies(api, "PUT")[0]) == [field]


def test_nested_address_change_counts(client: Client, api: Any) -> None:
    contact = {"id": 9, "name": "Shop", "is_organization": True,
               "address": {"city": "Lyon", "country": "FR"}}
    api.get(f"{BASE}/v2/contacts/9", json=one("contact", contact))
    api.put(f"{BASE}/v2/contacts/9", json=one("contact", contact))
    shop = client.contacts.get(9)
    shop.address.city = "Paris"
    shop.save()
    assert bodies(api, "PUT") == [{"address": {"city": "Paris", "country": "FR"}}]


def test_change_on_a_lazy_record_saves_without_loading(client: Client, api: Any) -> None:
    api.put(f"{BASE}/v2/deals/5", json=one("deal", {**DEAL, "hot": True}))
    deal = client.deals.get(5)
    deal.hot = True
    assert deal.hot is True and not deal.is_loaded  # reading what you set costs nothing
    deal.save()
    assert paths(api) == ["PUT /v2/deals/5"] and bodies(api, "PUT") == [{"hot": True}]
    assert deal.name == "Chemex" and len(api.calls) == 1


def test_loading_keeps_pending_changes(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = client.deals.get(5)
    deal.name = "Mine"
    assert deal.currency == "USD"
    assert deal.name == "Mine" and deal.changed_fields == ("name",)


def test_new_and_save_creates(client: Client, api: Any) -> None:
    api.post(f"{BASE}/v2/deals", json=one("deal", {**DEAL, "id": 77, "name": "New"}))
    deal = client.deals.new(name="New", contact_id=9)
    deal.value = 12
    assert deal.is_new and deal.id is None and deal.stage_id is None and not api.calls
    assert repr(deal) == "<Deal new dirty=name,contact_id,value>"
    deal.save()
    assert bodies(api, "POST") == [{"name": "New", "contact_id": 9, "value": "12"}]
    assert deal.id == 77 and not deal.is_new and not deal.is_dirty


def test_model_constructor_takes_a_client_or_service(client: Client) -> None:
    assert models.Deal(client, name="x").name == "x"
    assert models.Deal(client.deals).is_new
    with pytest.raises(TypeError, match="deals service"):
        models.Deal(client.contacts)
    with pytest.raises(TypeError, match="Client"):
        models.Deal(object())  # type: ignore[arg-type]


def test_refresh_drops_changes(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = client.deals.get(5, lazy=False)
    deal.name = "unsaved"
    deal.refresh()
    assert deal.name == "Chemex" and not deal.is_dirty and len(api.calls) == 2
    with pytest.raises(ValueError, match="not saved"):
        client.deals.new(name="x").refresh()


def test_delete(client: Client, api: Any) -> None:
    api.delete(f"{BASE}/v2/deals/5", status=204)
    deal = client.deals.get(5)
    assert deal.delete() is True
    assert deal.id is None and deal.is_new and paths(api) == ["DELETE /v2/deals/5"]
    with pytest.raises(ValueError, match="save"):
        deal.delete()


# -- attribute checks -----------------------------------------------------------------
def test_unknown_attribute_suggests_like_the_services(client: Client, api: Any) -> None:
    deal = client.deals.get(5)
    with pytest.raises(UnknownAttributeError, match="did you mean 'name'"):
        deal.nmae = "x"
    with pytest.raises(UnknownAttributeError, match="did you mean 'stage_id'"):
        deal["stage_ids"] = 3
    with pytest.raises(UnknownAttributeError):
        client.deals.new(nmae="x")
    with pytest.raises(AttributeError, match="did you mean 'stage'"):
        deal.stag  # noqa: B018
    with pytest.raises(KeyError, match="did you mean 'name'"):
        deal["nam"]
    assert not hasattr(deal, "nope") and not api.calls


def test_read_only_and_create_only_fields(client: Client, api: Any) -> None:
    deal = client.deals.get(5)
    with pytest.raises(ReadOnlyAttributeError, match="read-only"):
        deal.organization_id = 4
    with pytest.raises(ReadOnlyAttributeError, match="read-only"):
        deal.id = 6
    with pytest.raises(ReadOnlyAttributeError):
        deal["created_at"] = "2020-01-01"
    with pytest.raises(AttributeError, match="model API"):
        deal.save = 1  # type: ignore[method-assign]
    with pytest.raises(AttributeError, match="collection"):
        deal.notes = []
    person = client.contacts.get(9)
    with pytest.raises(ReadOnlyAttributeError, match="only when creating"):
        person.is_organization = True
    assert client.contacts.new(is_organization=True, name="Org").is_organization is True
    assert not api.calls


def test_strict_false_allows_unknown_fields(api: Any) -> None:
    loose = Client(access_token=TOKEN, base_url=BASE, strict=False)
    api.get(f"{BASE}/v2/deals/5", json=one("deal", {**DEAL, "extra": 1}))
    api.put(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    deal = loose.deals.get(5)
    assert deal.extra == 1
    deal.brand_new = "x"
    deal.save()
    assert bodies(api, "PUT") == [{"brand_new": "x"}]


def test_resource_without_update_refuses_changes(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/orders/1/line_items/2", json=one("line_item", {
        "id": 2, "product_id": 4, "value": "5", "currency": "EUR", "quantity": 1}))
    item = client.line_items.get(1, 2, lazy=False)
    assert item.value == Decimal("5") and paths(api) == ["GET /v2/orders/1/line_items/2"]
    with pytest.raises(ReadOnlyAttributeError, match="no update"):
        item.quantity = 3


# -- links --------------------------------------------------------------------------
def test_forward_link_is_lazy_and_cached_on_the_object(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    api.get(f"{BASE}/v2/contacts/9", json=one("contact", {"id": 9, "name": "Shop"}))
    deal = client.deals.get(5, lazy=False)
    contact = deal.contact
    assert isinstance(contact, models.Contact) and contact.id == 9 and len(api.calls) == 1
    assert deal.contact is contact
    assert contact.name == "Shop" and len(api.calls) == 2
    deal.contact_id = 10
    assert deal.contact is not contact and deal.contact.id == 10


def test_owner_and_list_only_targets(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    api.get(f"{BASE}/v2/users/2", json=one("user", {"id": 2, "name": "Ann"}))
    api.get(f"{BASE}/v2/stages", json=many("stage", [{"id": 3, "name": "Won"}]))
    deal = client.deals.get(5)
    assert deal.owner.name == "Ann"
    assert deal.stage.name == "Won"
    stage_call = [c for c in api.calls if "/stages" in c.request.url][0]
    assert query(stage_call)["ids"] == "3"
    assert deal.loss_reason is None


def test_missing_list_only_target_raises_404(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/stages", json=many("stage", []))
    stage = models.Deal._from_record(client.deals, (), {**DEAL, "stage_id": 99}).stage
    with pytest.raises(RequestError) as info:
        stage.name  # noqa: B018
    assert info.value.http_status == 404 and "stage" in str(info.value)


def test_polymorphic_link(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/notes/1", json=one("note", {
        "id": 1, "content": "hi", "resource_type": "deal", "resource_id": 5}))
    note = client.notes.get(1)
    assert isinstance(note.resource, models.Deal) and note.resource.id == 5
    note.resource = models.Contact._lazy(client.contacts, (), 9)
    assert (note.resource_type, note.resource_id) == ("contact", 9)
    assert isinstance(note.resource, models.Contact)
    with pytest.raises(TypeError, match="lead, contact, deal"):
        note.resource = client.users.get(1)


def test_assigning_links(client: Client, api: Any) -> None:
    deal = client.deals.new(name="x")
    contact = client.contacts.get(9)
    deal.contact = contact
    assert deal.contact_id == 9 and deal.contact is contact
    deal.contact = None
    assert deal.contact_id is None and deal.contact is None
    with pytest.raises(TypeError, match="must be a Contact"):
        deal.contact = client.users.get(1)
    with pytest.raises(ValueError, match="save"):
        deal.contact = client.contacts.new(last_name="Unsaved")
    with pytest.raises(TypeError):
        deal.contact = 9
    assert not api.calls


def test_reverse_collection_paginates(client: Client, api: Any) -> None:
    page1 = [{**DEAL, "id": i} for i in range(1, 101)]
    page2 = [{**DEAL, "id": 101}]
    api.get(re.compile(rf"{BASE}/v2/deals\?.*page=1.*"), json=many("deal", page1))
    api.get(re.compile(rf"{BASE}/v2/deals\?.*page=2.*"), json=many("deal", page2))
    contact = client.contacts.get(9)
    deals = contact.deals
    assert isinstance(deals, Collection) and not api.calls
    got = list(deals)
    assert [d.id for d in got] == list(range(1, 102))
    assert all(isinstance(d, models.Deal) and d.is_loaded for d in got)
    assert len(api.calls) == 2
    assert query(api.calls[0])["contact_id"] == "9"
    assert query(api.calls[0])["per_page"] == "100"


def test_organization_deals_and_polymorphic_collections(client: Client, api: Any) -> None:
    api.get(re.compile(rf"{BASE}/v2/deals\?.*"), json=many("deal", []))
    api.get(re.compile(rf"{BASE}/v2/notes\?.*"), json=many("note", []))
    contact = client.contacts.get(9)
    assert list(contact.organization_deals) == []
    assert list(contact.notes.filter(q="coffee")) == []
    assert query(api.calls[0])["organization_id"] == "9"
    assert query(api.calls[1]) == {"resource_id": "9", "resource_type": "contact", "q": "coffee",
                                   "page": "1", "per_page": "100"}


def test_collection_new_links_the_record(client: Client, api: Any) -> None:
    api.post(f"{BASE}/v2/notes", json=one("note", {"id": 3, "content": "hi",
                                                   "resource_type": "contact", "resource_id": 9}))
    note = client.contacts.get(9).notes.create(content="hi")
    assert bodies(api, "POST") == [{"resource_id": 9, "resource_type": "contact",
                                    "content": "hi"}]
    assert note.id == 3
    # a read-only key is not filled in
    assert client.contacts.get(9).organization_deals.new(name="x").organization_id is None


def test_nested_collection(client: Client, api: Any) -> None:
    api.get(re.compile(rf"{BASE}/v2/deals/5/associated_contacts.*"),
            json=many("associated_contact", [{"contact_id": 9, "role": "involved"}]))
    api.post(f"{BASE}/v2/deals/5/associated_contacts",
             json=one("associated_contact", {"contact_id": 10, "role": "involved"}))
    api.delete(f"{BASE}/v2/deals/5/associated_contacts/9", status=204)
    api.get(f"{BASE}/v2/contacts/9", json=one("contact", {"id": 9, "name": "Shop"}))
    deal = client.deals.get(5)
    [member] = deal.associated_contacts.all()
    assert member.id == 9 and member.role == "involved" and member.contact.name == "Shop"
    added = deal.associated_contacts.create(contact_id=10)
    assert added.id == 10 and bodies(api, "POST") == [{"contact_id": 10}]
    assert member.delete() and member.id is None
    assert "DELETE /v2/deals/5/associated_contacts/9" in paths(api)


def test_collection_first_and_where(client: Client, api: Any) -> None:
    api.get(re.compile(rf"{BASE}/v2/deals\?.*"), json=many("deal", [DEAL]))
    first = models.Deal.where(client, stage_id=3).first()
    assert first is not None and first.id == 5
    assert query(api.calls[0]) == {"stage_id": "3", "page": "1", "per_page": "1"}
    assert "Collection of Deal /deals stage_id=3" in repr(models.Deal.where(client, stage_id=3))


def test_nested_new_and_get_signatures(client: Client, api: Any) -> None:
    api.post(f"{BASE}/v2/orders/1/line_items", json=one("line_item", {
        "id": 2, "product_id": 4, "value": "5", "currency": "EUR"}))
    item = client.line_items.new(1, product_id=4, value="5", currency="EUR")
    item.save()
    assert paths(api) == ["POST /v2/orders/1/line_items"] and item.id == 2
    lazy = client.line_items.get(order_id=1, id=2)
    assert lazy.id == 2 and lazy._parents == (1,)
    with pytest.raises(TypeError, match="order_id"):
        models.LineItem(client)


# -- reference data cache -----------------------------------------------------------
def test_many_deals_in_one_stage_cost_one_stage_request(client: Client, api: Any) -> None:
    rows = [{**DEAL, "id": i} for i in range(1, 101)]
    api.get(re.compile(rf"{BASE}/v2/deals\?.*page=1.*"), json=many("deal", rows))
    api.get(re.compile(rf"{BASE}/v2/deals\?.*page=2.*"), json=many("deal", []))
    api.get(re.compile(rf"{BASE}/v2/stages\?.*"), json=many("stage", [{"id": 3, "name": "Won"}]))
    names = {deal.stage.name for deal in models.Deal.where(client)}
    assert names == {"Won"}
    assert sum("/stages" in c.request.url for c in api.calls) == 1


def test_plain_services_never_use_the_cache(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/stages", json=many("stage", [{"id": 3, "name": "Won"}]))
    client.stages.list()
    client.stages.list()
    api.get(f"{BASE}/v2/users/2", json=one("user", {"id": 2, "name": "Ann"}))
    client.users.retrieve(2)
    client.users.retrieve(2)
    assert len(api.calls) == 4


def test_models_read_reference_data_through_the_cache(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/users/2", json=one("user", {"id": 2, "name": "Ann"}))
    assert client.users.get(2).name == "Ann"
    assert client.users.get("2", lazy=False).name == "Ann"
    assert len(api.calls) == 1
    client.cache.clear()
    client.users.get(2, lazy=False)
    assert len(api.calls) == 2
    # refresh() always asks the server and refreshes the cache
    client.users.get(2).refresh()
    assert len(api.calls) == 3
    # non-reference data is never cached
    api.get(f"{BASE}/v2/deals/5", json=one("deal", DEAL))
    client.deals.get(5, lazy=False)
    client.deals.get(5, lazy=False)
    assert len(api.calls) == 5


def test_writes_through_the_client_invalidate(client: Client, api: Any) -> None:
    api.get(f"{BASE}/v2/deal_sources/1", json=one("deal_source", {"id": 1, "name": "Web"}))
    api.put(f"{BASE}/v2/deal_sources/1", json=one("deal_source", {"id": 1, "name": "Ads"}))
    api.post(f"{BASE}/v2/deal_sources", json=one("deal_source", {"id": 2, "name": "New"}))
    api.delete(f"{BASE}/v2/deal_sources/2", status=204)

    def gets() -> int:
        client.deal_sources.get(1, lazy=False)
        return sum(c.request.method == "GET" for c in api.calls)

    assert gets() == 1 and gets() == 1
    client.deal_sources.update(1, name="Ads")      # plain service write
    assert gets() == 2 and gets() == 2
    client.deal_sources.create(name="New")
    assert gets() == 3
    client.deal_sources.destroy(2)
    assert gets() == 4
    source = client.deal_sources.get(1)
    source.name = "Ads"                             # model write goes through the service
    source.save()
    assert gets() == 5


def test_cache_ttl_with_injected_clock(client: Client, api: Any) -> None:
    now = [0.0]
    client.cache.clock = lambda: now[0]
    client.cache.ttl = 30
    api.get(f"{BASE}/v2/users/2", json=one("user", {"id": 2, "name": "Ann"}))
    client.users.get(2, lazy=False)
    now[0] = 29
    client.users.get(2, lazy=False)
    assert len(api.calls) == 1
    now[0] = 30
    client.users.get(2, lazy=False)
    assert len(api.calls) == 2


def test_cache_can_be_switched_off(api: Any) -> None:
    off = Client(access_token=TOKEN, base_url=BASE, cache_ttl=0)
    api.get(f"{BASE}/v2/users/2", json=one("user", {"id": 2, "name": "Ann"}))
    off.users.get(2, lazy=False)
    off.users.get(2, lazy=False)
    assert len(api.calls) == 2


def test_listing_reference_models_primes_the_cache(client: Client, api: Any) -> None:
    api.get(re.compile(rf"{BASE}/v2/stages\?.*"),
            json=many("stage", [{"id": 3, "name": "Won", "pipeline_id": 1}]))
    api.get(re.compile(rf"{BASE}/v2/deals\?.*"), json=many("deal", [DEAL]))
    assert [s.name for s in models.Pipeline._lazy(client.pipelines, (), 1).stages] == ["Won"]
    deal = models.Deal.where(client).first()
    assert deal is not None and deal.stage.name == "Won"
    assert sum("/stages" in c.request.url for c in api.calls) == 1
