"""Every resource and action of the catalog, through our client, against the mock server.

One scenario per resource; a catalog entry without a scenario fails
``test_every_resource_has_a_scenario``, so new resources get covered. A scenario gets a
:class:`Run`: the client, and helpers that name and remember what it creates. On the mock
(``test_resource``, both clients) the helpers do nothing and the scenario may also check the
seed; in the contract suite (``test_resource_contract``) the names carry the run id and
every record made is deleted at the end. The scenarios left out of the contract suite need
the mock's seed or its back door:

- collaborations: the collaborator is the seeded second user.
- deals: moves the deal to seeded stage ids and upserts on the seeded "Lead ID" field.
- calls: the outcome is seeded outcome 1.
- documents: the API cannot create documents; the scenario plants one in the mock.
- line_items: orders seeded product 1 and checks its seeded name, SKU and price.
- sequence_enrollments: enrolls in seeded sequence 1.
- sequences, visit_outcomes: lists that only some accounts' plans have.
- text_messages, visits: the API cannot create them; the scenario plants them in the mock.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass
class Run:
    """What a scenario works with: the client, plus the mock (``server``) on a plain mock run
    or the contract suite's target, which names and cleans up what the scenario makes."""

    client: Client
    server: Any = None
    target: ContractTarget | None = None

    @property
    def seeded(self) -> bool:
        """Whether the scenario may rely on the mock's seeded records and ids."""
        return self.target is None

    def name(self, label: str) -> str:
        return label if self.target is None else self.target.name(label)

    def unique(self, label: str) -> str:
        """``label`` with the run id glued on (for emails, SKUs), as is on the mock."""
        return label if self.target is None else f"{label}-{self.target.run_id}"

    def adopt(self, resource: str, record_id: int | None) -> None:
        if self.target is not None:
            self.target.adopt(resource, record_id)

    def create(self, resource: str, **attributes: Any) -> Any:
        record = getattr(self.client, resource).create(**attributes)
        self.adopt(resource, record.id)
        return record


Scenario = Callable[[Run], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(func: Scenario) -> Scenario:
        SCENARIOS[name] = func
        return func
    return register


def _person(run: Run, **extra: Any) -> Any:
    return run.create("contacts", last_name=run.name("Lovelace"), first_name="Ada", **extra)


def _deal(run: Run) -> Any:
    org = run.create("contacts", name=run.name("Analytical Engines"), is_organization=True)
    return run.create("deals", name=run.name("Difference engine"), contact_id=org.id)


def _gone(call: Callable[[], Any]) -> None:
    with pytest.raises(basecrm_like.RequestError) as info:
        call()
    assert info.value.http_status == 404


def _named_crud(run: Run, resource: str) -> None:
    """Create, read, rename, find by name, delete: what any account lets a run do with
    the records it names itself."""
    service = getattr(run.client, resource)
    label = run.name("Trade fair")
    created = run.create(resource, name=label)
    assert created.name == label and created.id > 0
    assert service.retrieve(created.id).name == label
    renamed = f"{label} 2026"
    assert service.update(created.id, name=renamed).name == renamed
    assert [item.id for item in service.list(name=renamed)] == [created.id]
    assert service.destroy(created.id) is True
    _gone(lambda: service.retrieve(created.id))


NAMED = ("deal_sources", "deal_unqualified_reasons", "lead_sources", "loss_reasons", "sources")
#: lists every account has, and those only the seed is sure to fill
ALWAYS_FILLED = ("pipelines", "stages")
LISTS = ("call_outcomes", "lead_unqualified_reasons", "sequences", "visit_outcomes")


def _list_only(run: Run, resource: str) -> None:
    items = getattr(run.client, resource).list()
    assert isinstance(items, list)
    if run.seeded or resource in ALWAYS_FILLED:
        assert items and all(item.id for item in items)


for _name in NAMED:
    SCENARIOS[_name] = (lambda n: lambda run: _named_crud(run, n))(_name)
for _name in ALWAYS_FILLED + LISTS:
    SCENARIOS[_name] = (lambda n: lambda run: _list_only(run, n))(_name)


@scenario("accounts")
def _accounts(run: Run) -> None:
    account = run.client.accounts.self()
    assert account.id > 0 and account.currency
    if run.seeded:
        assert account.id == 1 and account.currency == "USD"


@scenario("users")
def _users(run: Run) -> None:
    client = run.client
    me = client.users.self()
    assert me.id > 0 and client.users.retrieve(me.id).role == me.role
    assert [u.id for u in client.users.list(ids=[me.id], role=me.role)] == [me.id]
    if run.seeded:
        assert me.id == 1 and me.role == "admin"
        assert client.users.retrieve(2).id == 2
        assert [u.id for u in client.users.list(role="admin")] == [1]
        _gone(lambda: client.users.retrieve(999))


@scenario("contacts")
def _contacts(run: Run) -> None:
    client = run.client
    org_name = run.name("Acme")
    org = run.create("contacts", name=org_name, is_organization=True,
                     address={"city": "Berlin", "country": "DE"})
    extra = {"custom_fields": {"Segment": "SMB"}} if run.seeded else {}
    person = _person(run, contact_id=org.id, tags=["vip", "coffee"], **extra)
    assert person.name == f"Ada {person.last_name}" and person.parent_organization_id == org.id
    me = client.users.self()
    assert person.owner_id == me.id and person.creator_id == me.id
    assert client.contacts.retrieve(person.id).tags == ["vip", "coffee"]
    updated = client.contacts.update(person.id, tags=["coffee"], title="Countess")
    assert updated.tags == ["coffee"] and updated.title == "Countess"
    assert updated.first_name == "Ada"  # PUT is partial
    assert [c.id for c in client.contacts.list(is_organization=True, name=org_name)] == [org.id]
    assert [c.id for c in client.contacts.list(name=org_name,
                                               address={"city": "Berlin"})] == [org.id]
    if run.seeded:
        assert [c.id for c in client.contacts.list(
            custom_fields={"Segment": "SMB"})] == [person.id]
    email = f"{run.unique('ada')}@example.com"
    byron = run.name("Byron")
    upserted = client.contacts.upsert({"email": email}, last_name=byron, email=email)
    run.adopt("contacts", upserted.id)
    again = client.contacts.upsert({"email": email}, last_name=byron, title="Poet")
    assert again.id == upserted.id and again.title == "Poet" and again.email == email
    assert client.contacts.destroy(person.id) is True
    _gone(lambda: client.contacts.retrieve(person.id))


@scenario("collaborations")
def _collaborations(run: Run) -> None:
    client = run.client
    person = _person(run)
    made = client.collaborations.create(resource_type="contact", resource_id=person.id,
                                        collaborator_id=2)
    assert made.collaborator_id == 2 and made.creator_id == 1
    assert client.collaborations.retrieve(made.id).resource_id == person.id
    listed = client.collaborations.list(resource_type="contact", resource_id=person.id)
    assert [c.id for c in listed] == [made.id]
    assert client.collaborations.destroy(made.id) is True
    _gone(lambda: client.collaborations.retrieve(made.id))


@scenario("custom_fields")
def _custom_fields(run: Run) -> None:
    client = run.client
    for kind in ("contact", "lead", "deal"):
        fields = client.custom_fields.list(kind)
        assert isinstance(fields, list) and all(f.name for f in fields)
        assert fields or not run.seeded
    if run.seeded:
        assert {f.name for f in client.custom_fields.list("deal")} == {"Lead ID", "Contract type"}


@scenario("deals")
def _deals(run: Run) -> None:
    client = run.client
    contact = _person(run)
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
def _associated_contacts(run: Run) -> None:
    client = run.client
    deal = _deal(run)
    person = _person(run)
    link = client.associated_contacts.create(deal.id, contact_id=person.id, role="involved")
    assert link.contact_id == person.id
    assert [a.contact_id for a in client.associated_contacts.list(deal.id)] == [person.id]
    assert client.associated_contacts.destroy(deal.id, person.id) is True
    assert client.associated_contacts.list(deal.id) == []


@scenario("calls")
def _calls(run: Run) -> None:
    client = run.client
    person = _person(run)
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
def _documents(run: Run) -> None:
    client, server = run.client, run.server
    assert client.documents.list() == []
    person = _person(run)
    doc = server.app.insert("documents", {"name": "offer.pdf", "resource_type": "contact",
                                          "resource_id": person.id, "size": 1024})
    assert client.documents.retrieve(doc["id"]).name == "offer.pdf"
    assert [d.id for d in client.documents.list(resource_type="contact",
                                                resource_id=person.id)] == [doc["id"]]


@scenario("leads")
def _leads(run: Run) -> None:
    client = run.client
    hopper = run.name("Hopper")
    lead = run.create("leads", last_name=hopper, organization_name="Navy", status="New")
    assert client.leads.retrieve(lead.id).organization_name == "Navy"
    assert client.leads.update(lead.id, status="Working").status == "Working"
    assert [x.id for x in client.leads.list(status="Working", last_name=hopper)] == [lead.id]
    again = client.leads.upsert({"last_name": hopper}, last_name=hopper, first_name="Grace")
    assert again.id == lead.id and again.first_name == "Grace"
    assert client.leads.destroy(lead.id)
    _gone(lambda: client.leads.retrieve(lead.id))


@scenario("lead_conversions")
def _lead_conversions(run: Run) -> None:
    client = run.client
    hopper, navy = run.name("Hopper"), run.name("Navy")
    email = f"{run.unique('grace')}@navy.example"
    lead = run.create("leads", first_name="Grace", last_name=hopper, organization_name=navy,
                      email=email)
    conversion = client.lead_conversions.create(lead_id=lead.id)
    for resource, made in (("contacts", conversion.individual_id),
                           ("contacts", conversion.organization_id),
                           ("deals", conversion.deal_id)):
        run.adopt(resource, made)
    person = client.contacts.retrieve(conversion.individual_id)
    assert person.last_name == hopper and person.email == email
    org = client.contacts.retrieve(conversion.organization_id)
    assert org.name == navy and person.contact_id == org.id
    assert [c.id for c in client.lead_conversions.list(lead_id=lead.id)] == [conversion.id]


@scenario("line_items")
def _line_items(run: Run) -> None:
    client = run.client
    order = client.orders.create(deal_id=_deal(run).id)
    item = client.line_items.create(order.id, product_id=1, value=Decimal("2000"),
                                    currency="USD", quantity=2)
    assert item.price == Decimal("1000.00") and item.name == "Espresso machine"
    assert item.sku == "ESP-100"
    assert client.line_items.retrieve(order.id, item.id).quantity == 2
    assert [x.id for x in client.line_items.list(order.id)] == [item.id]
    assert client.line_items.destroy(order.id, item.id)
    _gone(lambda: client.line_items.retrieve(order.id, item.id))


@scenario("notes")
def _notes(run: Run) -> None:
    client = run.client
    person = _person(run)
    note = run.create("notes", content=run.name("Met at the fair"), resource_type="contact",
                      resource_id=person.id)
    assert note.type == "regular" and note.is_important is False
    assert client.notes.update(note.id, is_important=True).is_important is True
    assert [n.id for n in client.notes.list(q="the FAIR", resource_type="contact",
                                            resource_id=person.id)] == [note.id]
    assert client.notes.destroy(note.id)
    _gone(lambda: client.notes.retrieve(note.id))


@scenario("orders")
def _orders(run: Run) -> None:
    client = run.client
    deal = _deal(run)
    order = run.create("orders", deal_id=deal.id, discount=10)
    assert client.orders.update(order.id, discount=5).discount == 5
    assert [o.id for o in client.orders.list(deal_id=deal.id)] == [order.id]
    assert client.orders.destroy(order.id)
    _gone(lambda: client.orders.retrieve(order.id))


@scenario("products")
def _products(run: Run) -> None:
    client = run.client
    sku = run.unique("GR-1")
    product = run.create("products", name=run.name("Grinder"), sku=sku, cost=Decimal("40"),
                         prices=[{"amount": Decimal("99.90"), "currency": "USD"}])
    assert product.prices[0].amount == Decimal("99.90") and product.active is True
    assert client.products.update(product.id, active=False).active is False
    assert [p.id for p in client.products.list(sku=sku)] == [product.id]
    assert client.products.destroy(product.id)
    _gone(lambda: client.products.retrieve(product.id))


@scenario("sequence_enrollments")
def _sequence_enrollments(run: Run) -> None:
    client = run.client
    person = _person(run)
    enrollment = client.sequence_enrollments.create(sequence_id=1, resource_type="contact",
                                                    resource_id=person.id)
    assert enrollment.state == "active" and enrollment.steps == []
    finished = client.sequence_enrollments.update(enrollment.id, state="finished")
    assert finished.state == "finished"
    assert client.sequence_enrollments.retrieve(enrollment.id).state == "finished"
    assert [e.id for e in client.sequence_enrollments.list(sequence_id=1)] == [enrollment.id]


@scenario("tags")
def _tags(run: Run) -> None:
    client = run.client
    tag = run.create("tags", name=run.name("vip"), resource_type="contact")
    renamed = run.name("VIP")
    assert client.tags.update(tag.id, name=renamed).name == renamed
    assert [t.id for t in client.tags.list(resource_type="contact", name=renamed)] == [tag.id]
    assert client.tags.destroy(tag.id)
    _gone(lambda: client.tags.retrieve(tag.id))


@scenario("tasks")
def _tasks(run: Run) -> None:
    client = run.client
    person = _person(run)
    task = run.create("tasks", content=run.name("Call back"), due_date="2020-01-01T09:00:00Z",
                      resource_type="contact", resource_id=person.id)
    assert task.overdue is True and task.completed is False and task.completed_at is None
    done = client.tasks.update(task.id, completed=True)
    assert done.completed and done.completed_at and done.overdue is False
    mine = {"resource_type": "contact", "resource_id": person.id}
    assert [t.id for t in client.tasks.list(completed=True, **mine)] == [task.id]
    assert [t.id for t in client.tasks.list(q="call", **mine)] == [task.id]
    assert client.tasks.destroy(task.id)
    _gone(lambda: client.tasks.retrieve(task.id))


@scenario("text_messages")
def _text_messages(run: Run) -> None:
    client, server = run.client, run.server
    person = _person(run)
    older = server.app.insert("text_messages", {"content": "Hi", "resource_type": "contact",
                                                "resource_id": person.id, "incoming": True})
    newer = server.app.insert("text_messages", {"content": "Hello", "resource_type": "contact",
                                                "resource_id": person.id, "incoming": False})
    assert [m.id for m in client.text_messages.list()] == [newer["id"], older["id"]]  # id desc
    assert client.text_messages.retrieve(older["id"]).content == "Hi"


@scenario("visits")
def _visits(run: Run) -> None:
    client, server = run.client, run.server
    person = _person(run)
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
    SCENARIOS[name](Run(client, server=basecrm_mock))


#: the scenarios that need only what they create and what every account has
CONTRACT = (*NAMED, *ALWAYS_FILLED, "accounts", "associated_contacts", "call_outcomes",
            "contacts", "custom_fields", "lead_conversions", "lead_unqualified_reasons",
            "leads", "notes", "orders", "products", "tags", "tasks", "users")
MOCK_ONLY = ("calls", "collaborations", "deals", "documents", "line_items",
             "sequence_enrollments", "sequences", "text_messages", "visit_outcomes", "visits")


def test_every_scenario_is_in_the_contract_suite_or_says_why_not() -> None:
    assert sorted(CONTRACT + MOCK_ONLY) == sorted(SCENARIOS)
    reasons = (__doc__ or "").split("back door:")[1]
    assert all(f"- {name}" in reasons or f", {name}" in reasons for name in MOCK_ONLY)


@pytest.mark.contract
@pytest.mark.parametrize("name", CONTRACT)
def test_resource_contract(name: str, contract: ContractTarget) -> None:
    """The scenario against the contract target, naming and cleaning up what it makes."""
    SCENARIOS[name](Run(contract.client, target=contract))


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
