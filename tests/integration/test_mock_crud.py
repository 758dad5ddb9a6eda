"""Every resource and action of the catalog, through our client, against the mock server.

One scenario per resource; a catalog entry without a scenario fails
``test_every_resource_has_a_scenario``, so new resources get covered.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import basecrm_like
from basecrm_like.resources import CATALOG, RESOURCES
from tests.support.clients import client_kind, make_client
from tests.support.contract import ContractTarget, contract

# fixtures: the contract suite's, for the tests marked below; both clients, for test_resource
__all__ = ["client_kind", "contract", "make_client"]

Client = Any
Scenario = Callable[[Client, Any], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(func: Scenario) -> Scenario:
        SCENARIOS[name] = func
        return func
    return register


def _person(client: Client, **extra: Any) -> Any:
    return client.contacts.create(last_name="Lovelace", first_name="Ada", **extra)


def _deal(client: Client) -> Any:
    org = client.contacts.create(name="Analytical Engines", is_organization=True)
    return client.deals.create(name="Difference engine", contact_id=org.id)


def _gone(call: Callable[[], Any]) -> None:
    with pytest.raises(basecrm_like.RequestError) as info:
        call()
    assert info.value.http_status == 404


def _named_crud(service: Any, label: str = "Trade fair",
                created_hook: Callable[[int], None] = lambda record_id: None) -> None:
    """Create, read, rename, find by name, delete: what any account lets a run do with
    the records it names itself (``label`` carries the run id in the contract suite)."""
    created = service.create(name=label)
    created_hook(created.id)
    assert created.name == label and created.id > 0
    assert service.retrieve(created.id).name == label
    renamed = f"{label} 2026"
    assert service.update(created.id, name=renamed).name == renamed
    assert [item.id for item in service.list(name=renamed)] == [created.id]
    assert service.destroy(created.id) is True
    _gone(lambda: service.retrieve(created.id))


NAMED = ("deal_sources", "deal_unqualified_reasons", "lead_sources", "loss_reasons", "sources")


@pytest.mark.contract
@pytest.mark.parametrize("name", NAMED)
def test_named_resource_crud(name: str, contract: ContractTarget) -> None:
    _named_crud(getattr(contract.client, name), contract.name("Trade fair"),
                lambda record_id: contract.adopt(name, record_id))


def _list_only(service: Any, expect_some: bool = True) -> None:
    items = service.list()
    assert isinstance(items, list)
    if expect_some:
        assert items and all(item.id for item in items)


for _name in NAMED:
    SCENARIOS[_name] = (lambda n: lambda client, server: _named_crud(getattr(client, n)))(_name)
for _name in ("call_outcomes", "lead_unqualified_reasons", "pipelines", "sequences", "stages",
              "visit_outcomes"):
    SCENARIOS[_name] = (lambda n: lambda client, server: _list_only(getattr(client, n)))(_name)


@scenario("accounts")
def _accounts(client: Client, server: Any) -> None:
    account = client.accounts.self()
    assert account.id == 1 and account.currency == "USD"


@scenario("users")
def _users(client: Client, server: Any) -> None:
    me = client.users.self()
    assert me.id == 1 and me.role == "admin"
    assert client.users.retrieve(2).id == 2
    assert [u.id for u in client.users.list(role="admin")] == [1]
    _gone(lambda: client.users.retrieve(999))


@scenario("contacts")
def _contacts(client: Client, server: Any) -> None:
    org = client.contacts.create(name="Acme", is_organization=True,
                                 address={"city": "Berlin", "country": "DE"})
    person = _person(client, contact_id=org.id, tags=["vip", "coffee"],
                     custom_fields={"Segment": "SMB"})
    assert person.name == "Ada Lovelace" and person.parent_organization_id == org.id
    assert person.owner_id == 1 and person.creator_id == 1
    assert client.contacts.retrieve(person.id).tags == ["vip", "coffee"]
    updated = client.contacts.update(person.id, tags=["coffee"], title="Countess")
    assert updated.tags == ["coffee"] and updated.title == "Countess"
    assert updated.first_name == "Ada"  # PUT is partial
    assert [c.id for c in client.contacts.list(is_organization=True)] == [org.id]
    assert [c.id for c in client.contacts.list(address={"city": "Berlin"})] == [org.id]
    assert [c.id for c in client.contacts.list(custom_fields={"Segment": "SMB"})] == [person.id]
    upserted = client.contacts.upsert({"email": "ada@example.com"}, last_name="Byron",
                                      email="ada@example.com")
    again = client.contacts.upsert({"email": "ada@example.com"}, title="Poet")
    assert again.id == upserted.id and again.title == "Poet" and again.last_name == "Byron"
    assert client.contacts.destroy(person.id) is True
    _gone(lambda: client.contacts.retrieve(person.id))


@scenario("collaborations")
def _collaborations(client: Client, server: Any) -> None:
    person = _person(client)
    made = client.collaborations.create(resource_type="contact", resource_id=person.id,
                                        collaborator_id=2)
    assert made.collaborator_id == 2 and made.creator_id == 1
    assert client.collaborations.retrieve(made.id).resource_id == person.id
    listed = client.collaborations.list(resource_type="contact", resource_id=person.id)
    assert [c.id for c in listed] == [made.id]
    assert client.collaborations.destroy(made.id) is True
    _gone(lambda: client.collaborations.retrieve(made.id))


@scenario("custom_fields")
def _custom_fields(client: Client, server: Any) -> None:
    for kind in ("contact", "lead", "deal"):
        fields = client.custom_fields.list(kind)
        assert fields and all(f.name for f in fields)
    assert {f.name for f in client.custom_fields.list("deal")} == {"Lead ID", "Contract type"}


@scenario("deals")
def _deals(client: Client, server: Any) -> None:
    contact = _person(client)
    deal = client.deals.create(name="Chemex", contact_id=contact.id, value=Decimal("1000.99"),
                               tags=["q1"], custom_fields={"Lead ID": "L-1"})
    assert deal.value == Decimal("1000.99") and isinstance(deal.value, Decimal)
    assert deal.stage_id == 1 and deal.currency == "USD"
    assert client.deals.retrieve(deal.id).value == Decimal("1000.99")
    moved = client.deals.update(deal.id, stage_id=2, value=Decimal("5"))
    assert moved.stage_id == 2 and moved.value == Decimal("5") and moved.tags == ["q1"]
    assert [d.id for d in client.deals.list(stage_id=2)] == [deal.id]
    same = client.deals.upsert({"custom_fields": {"Lead ID": "L-1"}}, hot=True)
    assert same.id == deal.id and same.hot is True
    new = client.deals.upsert({"custom_fields": {"Lead ID": "L-2"}}, name="Other",
                              contact_id=contact.id)
    assert new.id != deal.id and new.value == Decimal("0")
    assert client.deals.destroy(deal.id) is True
    _gone(lambda: client.deals.retrieve(deal.id))


@scenario("associated_contacts")
def _associated_contacts(client: Client, server: Any) -> None:
    deal = _deal(client)
    person = _person(client)
    link = client.associated_contacts.create(deal.id, contact_id=person.id, role="involved")
    assert link.contact_id == person.id
    assert [a.contact_id for a in client.associated_contacts.list(deal.id)] == [person.id]
    assert client.associated_contacts.destroy(deal.id, person.id) is True
    assert client.associated_contacts.list(deal.id) == []


@scenario("calls")
def _calls(client: Client, server: Any) -> None:
    person = _person(client)
    call = client.calls.create(phone_number="+1 555 0101", incoming=True, summary="Intro",
                               resource_type="contact", resource_id=person.id, outcome_id=1,
                               duration=60, made_at="2026-01-02T10:00:00Z")
    assert call.missed is False and call.made_at == "2026-01-02T10:00:00Z"
    assert client.calls.update(call.id, summary="Follow-up").summary == "Follow-up"
    assert [c.id for c in client.calls.list(resource_id=person.id,
                                            resource_type="contact")] == [call.id]
    assert client.calls.destroy(call.id)
    _gone(lambda: client.calls.retrieve(call.id))


@scenario("documents")
def _documents(client: Client, server: Any) -> None:
    assert client.documents.list() == []
    person = _person(client)
    doc = server.app.insert("documents", {"name": "offer.pdf", "resource_type": "contact",
                                          "resource_id": person.id, "size": 1024})
    assert client.documents.retrieve(doc["id"]).name == "offer.pdf"
    assert [d.id for d in client.documents.list(resource_type="contact",
                                                resource_id=person.id)] == [doc["id"]]


@scenario("leads")
def _leads(client: Client, server: Any) -> None:
    lead = client.leads.create(last_name="Hopper", organization_name="Navy", status="New")
    assert client.leads.retrieve(lead.id).organization_name == "Navy"
    assert client.leads.update(lead.id, status="Working").status == "Working"
    assert [x.id for x in client.leads.list(status="Working")] == [lead.id]
    again = client.leads.upsert({"last_name": "Hopper"}, first_name="Grace")
    assert again.id == lead.id and again.first_name == "Grace"
    assert client.leads.destroy(lead.id)
    _gone(lambda: client.leads.retrieve(lead.id))


@scenario("lead_conversions")
def _lead_conversions(client: Client, server: Any) -> None:
    lead = client.leads.create(first_name="Grace", last_name="Hopper", organization_name="Navy",
                               email="grace@navy.example")
    conversion = client.lead_conversions.create(lead_id=lead.id)
    person = client.contacts.retrieve(conversion.individual_id)
    assert person.last_name == "Hopper" and person.email == "grace@navy.example"
    org = client.contacts.retrieve(conversion.organization_id)
    assert org.name == "Navy" and person.contact_id == org.id
    assert [c.id for c in client.lead_conversions.list(lead_id=lead.id)] == [conversion.id]


@scenario("line_items")
def _line_items(client: Client, server: Any) -> None:
    order = client.orders.create(deal_id=_deal(client).id)
    item = client.line_items.create(order.id, product_id=1, value=Decimal("2000"),
                                    currency="USD", quantity=2)
    assert item.price == Decimal("1000.00") and item.name == "Espresso machine"
    assert item.sku == "ESP-100"
    assert client.line_items.retrieve(order.id, item.id).quantity == 2
    assert [x.id for x in client.line_items.list(order.id)] == [item.id]
    assert client.line_items.destroy(order.id, item.id)
    _gone(lambda: client.line_items.retrieve(order.id, item.id))


@scenario("notes")
def _notes(client: Client, server: Any) -> None:
    person = _person(client)
    note = client.notes.create(content="Met at the fair", resource_type="contact",
                               resource_id=person.id)
    assert note.type == "regular" and note.is_important is False
    assert client.notes.update(note.id, is_important=True).is_important is True
    assert [n.id for n in client.notes.list(q="the FAIR")] == [note.id]
    assert client.notes.destroy(note.id)
    _gone(lambda: client.notes.retrieve(note.id))


@scenario("orders")
def _orders(client: Client, server: Any) -> None:
    deal = _deal(client)
    order = client.orders.create(deal_id=deal.id, discount=10)
    assert client.orders.update(order.id, discount=5).discount == 5
    assert [o.id for o in client.orders.list(deal_id=deal.id)] == [order.id]
    assert client.orders.destroy(order.id)
    _gone(lambda: client.orders.retrieve(order.id))


@scenario("products")
def _products(client: Client, server: Any) -> None:
    product = client.products.create(name="Grinder", sku="GR-1", cost=Decimal("40"),
                                     prices=[{"amount": Decimal("99.90"), "currency": "USD"}])
    assert product.prices[0].amount == Decimal("99.90") and product.active is True
    assert client.products.update(product.id, active=False).active is False
    assert [p.id for p in client.products.list(sku="GR-1")] == [product.id]
    assert client.products.destroy(product.id)
    _gone(lambda: client.products.retrieve(product.id))


@scenario("sequence_enrollments")
def _sequence_enrollments(client: Client, server: Any) -> None:
    person = _person(client)
    enrollment = client.sequence_enrollments.create(sequence_id=1, resource_type="contact",
                                                    resource_id=person.id)
    assert enrollment.state == "active" and enrollment.steps == []
    finished = client.sequence_enrollments.update(enrollment.id, state="finished")
    assert finished.state == "finished"
    assert client.sequence_enrollments.retrieve(enrollment.id).state == "finished"
    assert [e.id for e in client.sequence_enrollments.list(sequence_id=1)] == [enrollment.id]


@scenario("tags")
def _tags(client: Client, server: Any) -> None:
    tag = client.tags.create(name="vip", resource_type="contact")
    assert client.tags.update(tag.id, name="VIP").name == "VIP"
    assert [t.id for t in client.tags.list(resource_type="contact")] == [tag.id]
    assert client.tags.destroy(tag.id)
    _gone(lambda: client.tags.retrieve(tag.id))


@scenario("tasks")
def _tasks(client: Client, server: Any) -> None:
    person = _person(client)
    task = client.tasks.create(content="Call back", due_date="2020-01-01T09:00:00Z",
                               resource_type="contact", resource_id=person.id)
    assert task.overdue is True and task.completed is False and task.completed_at is None
    done = client.tasks.update(task.id, completed=True)
    assert done.completed and done.completed_at and done.overdue is False
    assert [t.id for t in client.tasks.list(completed=True)] == [task.id]
    assert [t.id for t in client.tasks.list(q="call")] == [task.id]
    assert client.tasks.destroy(task.id)
    _gone(lambda: client.tasks.retrieve(task.id))


@scenario("text_messages")
def _text_messages(client: Client, server: Any) -> None:
    person = _person(client)
    older = server.app.insert("text_messages", {"content": "Hi", "resource_type": "contact",
                                                "resource_id": person.id, "incoming": True})
    newer = server.app.insert("text_messages", {"content": "Hello", "resource_type": "contact",
                                                "resource_id": person.id, "incoming": False})
    assert [m.id for m in client.text_messages.list()] == [newer["id"], older["id"]]  # id desc
    assert client.text_messages.retrieve(older["id"]).content == "Hi"


@scenario("visits")
def _visits(client: Client, server: Any) -> None:
    person = _person(client)
    visit = server.app.insert("visits", {"resource_type": "contact", "resource_id": person.id,
                                         "outcome_id": 1, "summary": "Demo"})
    assert [v.id for v in client.visits.list(outcome_id=1)] == [visit["id"]]


def test_every_resource_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(CATALOG), set(CATALOG) ^ set(SCENARIOS)


@pytest.mark.parametrize("name", [res.name for res in RESOURCES])
def test_resource(name: str, make_client: Callable[..., Client], basecrm_mock: Any) -> None:
    """Each scenario on the blocking and on the async client."""
    client = make_client(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                         max_retries=0, timeout=10)
    SCENARIOS[name](client, basecrm_mock)


def test_iterate_and_list_all_walk_every_page(make_client: Callable[..., Client],
                                              basecrm_mock: Any) -> None:
    """Pagination on the blocking and on the async client: lazy, page by page, stopping on
    the short page."""
    client = make_client(access_token=basecrm_mock.token, base_url=basecrm_mock.url,
                         max_retries=0, timeout=10)
    made = [client.contacts.create(last_name="Pager", first_name=str(n)).id for n in range(5)]
    before = len(basecrm_mock.calls("GET", "/v2/contacts"))
    walked = client.contacts.iterate(last_name="Pager", per_page=2, sort_by="id:asc")
    assert len(basecrm_mock.calls("GET", "/v2/contacts")) == before  # nothing until read
    assert [c.id for c in walked] == made
    pages = basecrm_mock.calls("GET", "/v2/contacts")[before:]
    assert [call["query"]["page"] for call in pages] == ["1", "2", "3"]
    assert [c.id for c in client.contacts.list_all(last_name="Pager", per_page=5)] == made
    assert len(basecrm_mock.calls("GET", "/v2/contacts")) == before + 3 + 2
