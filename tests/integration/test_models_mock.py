"""Models against the mock server over loopback, counting requests in its request log."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from basecrm_like import Client, RequestError, models

pytest.importorskip("waitress")


class RequestLog:
    """The mock's ``/_mock/requests`` log."""

    def __init__(self, server: Any) -> None:
        self.url = f"{server.url}/_mock/requests"
        self.session = requests.Session()

    def clear(self) -> None:
        self.session.delete(self.url, timeout=10).raise_for_status()

    def items(self) -> list[dict[str, Any]]:
        resp = self.session.get(self.url, timeout=10)
        resp.raise_for_status()
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for i in self.items()
                   if (method is None or i["method"] == method)
                   and (path is None or i["path"] == path))


@pytest.fixture
def log(basecrm_mock: Any) -> RequestLog:
    return RequestLog(basecrm_mock)


@pytest.fixture
def client(basecrm_client: Client) -> Client:
    return basecrm_client


@pytest.fixture
def shop(client: Client) -> Any:
    return client.contacts.create(name="Coffee Shop", is_organization=True)


@pytest.fixture
def deal_id(client: Client, shop: Any) -> int:
    deal = client.deals.create(name="Chemex", contact_id=shop.id, value="99.90")
    return int(deal.id)


def test_lazy_record_costs_nothing_until_read(client: Client, log: RequestLog,
                                             deal_id: int) -> None:
    log.clear()
    deal = client.deals.get(deal_id)
    assert deal.id == deal_id
    assert log.count() == 0
    assert deal.name == "Chemex"
    assert deal.value == Decimal("99.90") and deal.contact_id is not None
    [get] = log.items()
    assert (get["method"], get["path"]) == ("GET", f"/v2/deals/{deal_id}")


def test_eager_get_of_a_missing_id_raises_404(client: Client, log: RequestLog) -> None:
    with pytest.raises(RequestError) as info:
        client.deals.get(987654, lazy=False)
    assert info.value.http_status == 404
    lazy = client.deals.get(987654)
    with pytest.raises(RequestError):
        lazy.name  # noqa: B018


def test_save_sends_only_the_changed_field(client: Client, log: RequestLog,
                                           deal_id: int) -> None:
    deal = client.deals.get(deal_id, lazy=False)
    log.clear()
    deal.name = "Chemex 8 cups"
    deal.save()
    [put] = log.items()
    assert (put["method"], put["path"]) == ("PUT", f"/v2/deals/{deal_id}")
    assert put["body"] == {"data": {"name": "Chemex 8 cups"}}
    assert not deal.is_dirty and deal.name == "Chemex 8 cups"
    deal.save()
    assert log.count() == 1  # clean: no request


def test_changed_custom_fields_are_sent(client: Client, log: RequestLog, deal_id: int) -> None:
    deal = client.deals.get(deal_id, lazy=False)
    deal.custom_fields["Lead ID"] = "L-7"
    log.clear()
    deal.save()
    assert log.items()[0]["body"] == {"data": {"custom_fields": {"Lead ID": "L-7"}}}
    assert client.deals.retrieve(deal_id).custom_fields["Lead ID"] == "L-7"


def test_concurrent_edit_of_another_field_survives(client: Client, basecrm_mock: Any,
                                                   deal_id: int) -> None:
    mine = client.deals.get(deal_id, lazy=False)
    other = Client(access_token=basecrm_mock.token, base_url=basecrm_mock.url, max_retries=0)
    other.deals.update(deal_id, value="120.00", hot=True)
    mine.name = "Renamed here"
    mine.save()
    stored = other.deals.retrieve(deal_id)
    assert stored.name == "Renamed here"
    assert stored.value == Decimal("120.00") and stored.hot is True
    assert mine.value == Decimal("120.00")  # the object holds the server's answer


def test_new_save_and_delete(client: Client, log: RequestLog, shop: Any) -> None:
    deal = client.deals.new(name="Aeropress", contact_id=shop.id)
    deal.value = "35.50"
    log.clear()
    deal.save()
    [post] = log.items()
    assert post["method"] == "POST" and post["body"] == {
        "data": {"name": "Aeropress", "contact_id": shop.id, "value": "35.50"}}
    assert deal.id is not None and not deal.is_new and deal.stage_id is not None
    deal_id = deal.id
    deal.delete()
    assert deal.id is None
    with pytest.raises(RequestError):
        client.deals.retrieve(deal_id)


def test_hundred_deals_in_one_stage_cost_one_stage_request(
        client: Client, log: RequestLog, shop: Any) -> None:
    for i in range(100):
        client.deals.create(name=f"Deal {i}", contact_id=shop.id, stage_id=2)
    log.clear()
    names = {deal.stage.name for deal in models.Deal.where(client, stage_id=2)}
    assert names == {"Qualified"}
    assert log.count(path="/v2/stages") == 1
    assert log.count(path="/v2/deals") == 2  # 100 per page, then an empty page

    # the same loop with the cache off: one stage request per deal
    client.cache.enabled = False
    log.clear()
    for deal in models.Deal.where(client, stage_id=2):
        deal.stage.name  # noqa: B018
    assert log.count(path="/v2/stages") == 100


def test_plain_services_always_ask(client: Client, log: RequestLog) -> None:
    log.clear()
    client.stages.list()
    client.stages.list()
    client.users.retrieve(1)
    client.users.retrieve(1)
    assert log.count() == 4


def test_writes_through_the_client_invalidate(client: Client, log: RequestLog) -> None:
    log.clear()
    assert client.deal_sources.get(1, lazy=False).name == "Website"
    client.deal_sources.get(1, lazy=False)
    assert log.count("GET", "/v2/deal_sources/1") == 1
    client.deal_sources.update(1, name="Web")
    assert client.deal_sources.get(1).name == "Web"
    assert log.count("GET", "/v2/deal_sources/1") == 2
    client.cache.clear()
    client.deal_sources.get(1, lazy=False)
    assert log.count("GET", "/v2/deal_sources/1") == 3


def test_links_and_collections(client: Client, log: RequestLog, shop: Any,
                               deal_id: int) -> None:
    org = client.contacts.get(shop.id)
    person = client.contacts.new(last_name="Lovelace", contact_id=org.id).save()
    deal = client.deals.get(deal_id)
    assert deal.contact.name == "Coffee Shop"
    assert deal.owner.name == "Alex Admin"
    assert deal.organization.id == org.id
    assert deal.contact is deal.contact

    note = org.notes.create(content="Prefers email")
    assert (note.resource_type, note.resource_id) == ("contact", org.id)
    assert isinstance(note.resource, models.Contact) and note.resource.id == org.id
    assert [n.content for n in org.notes] == ["Prefers email"]

    deal.associated_contacts.create(contact_id=person.id, role="involved")
    assert [m.contact.last_name for m in deal.associated_contacts] == ["Lovelace"]
    assert [c.id for c in org.contacts] == [person.id]
    assert [d.id for d in org.deals] == [deal_id]
    assert [d.id for d in org.organization_deals] == [deal_id]
    assert [d.id for d in person.deals] == []

    [member] = deal.associated_contacts.all()
    member.delete()
    assert deal.associated_contacts.all() == []


def test_reverse_collection_paginates(client: Client, log: RequestLog, shop: Any) -> None:
    for i in range(150):
        client.deals.create(name=f"Deal {i}", contact_id=shop.id)
    org = client.contacts.get(shop.id)
    log.clear()
    deals = org.deals
    assert log.count() == 0
    assert len(deals.all()) == 150
    pages = [i["query"] for i in log.items()]
    assert [(q["page"], q["per_page"], q["contact_id"]) for q in pages] == [
        ("1", "100", str(shop.id)), ("2", "100", str(shop.id))]
    log.clear()
    first = org.deals.first()
    assert first is not None and log.count() == 1
