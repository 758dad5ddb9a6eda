"""The official ``basecrm`` 1.2.9 client, pointed at the mock with ``base_url``, works:
the mock speaks the same protocol the real API does, as that client expects it."""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

basecrm = pytest.importorskip("basecrm")


@pytest.fixture
def official(basecrm_mock: Any) -> Any:
    return basecrm.Client(access_token=basecrm_mock.token, base_url=basecrm_mock.url)


def test_contacts(official: Any) -> None:
    org = official.contacts.create(name="Coffee Shop", is_organization=True)
    person = official.contacts.create(first_name="Ada", last_name="Lovelace", contact_id=org.id,
                                      tags=["vip"])
    assert official.contacts.retrieve(person.id).contact_id == org.id
    updated = official.contacts.update(person.id, {"title": "Countess", "tags": []})
    assert updated.title == "Countess" and updated.tags == []
    assert [c.id for c in official.contacts.list(is_organization=True)] == [org.id]
    assert official.contacts.destroy(person.id) is True


def test_deals_with_decimal_values(official: Any) -> None:
    org = official.contacts.create(name="Coffee Shop", is_organization=True)
    deal = official.deals.create(name="Chemex", contact_id=org.id, value=Decimal("1000.99"))
    assert deal.value == Decimal("1000.99")
    assert official.deals.retrieve(deal.id).value == Decimal("1000.99")
    cheaper = official.deals.update(deal.id, {"value": Decimal("99.90"), "hot": True})
    assert cheaper.value == Decimal("99.90") and cheaper.hot is True
    no_value = official.deals.create(name="Pending", contact_id=org.id)
    assert no_value.value == Decimal("0")
    listed = official.deals.list(hot=True)  # requests sends hot=True: accepted
    assert [d.id for d in listed] == [deal.id] and listed[0].value == Decimal("99.90")
    assert official.deals.destroy(deal.id)


def test_notes_and_tasks(official: Any) -> None:
    org = official.contacts.create(name="Coffee Shop", is_organization=True)
    note = official.notes.create(content="Likes espresso", resource_type="contact",
                                 resource_id=org.id)
    assert official.notes.update(note.id, content="Likes ristretto").content == "Likes ristretto"
    assert [n.id for n in official.notes.list(resource_type="contact",
                                              resource_id=org.id)] == [note.id]
    assert official.notes.destroy(note.id)
    task = official.tasks.create(content="Send offer", resource_type="contact",
                                 resource_id=org.id, due_date="2030-01-01T10:00:00Z")
    done = official.tasks.update(task.id, completed=True)
    assert done.completed is True and done.completed_at
    assert official.tasks.list(completed=True)[0].id == task.id
    assert official.tasks.destroy(task.id)


def test_leads_and_errors(official: Any) -> None:
    lead = official.leads.create(first_name="Grace", last_name="Hopper")
    assert official.leads.retrieve(lead.id).last_name == "Hopper"
    assert official.leads.update(lead.id, status="Working").status == "Working"
    assert official.leads.destroy(lead.id)
    with pytest.raises(basecrm.errors.RequestError) as info:
        official.leads.retrieve(lead.id)
    assert info.value.http_status == 404
    with pytest.raises(basecrm.errors.ResourceError) as problem:
        official.leads.create(first_name="No last name")
    assert problem.value.http_status == 422


def test_sync_wrapper(official: Any, basecrm_mock: Any) -> None:
    device = str(uuid.uuid4())
    sync = basecrm.Sync(client=official, device_uuid=device)
    seen: list[tuple[str, Any]] = []

    def take(meta: Any, data: Any) -> bool:
        seen.append((meta.type, data.id))
        return bool(basecrm.Sync.ACK)

    sync.fetch(take)
    assert ("user", 1) in seen and ("stage", 1) in seen
    first = len(seen)
    contact = official.contacts.create(last_name="Turing")

    refused: list[int] = []

    def nack_contacts(meta: Any, data: Any) -> bool:
        if meta.type == "contact":
            refused.append(data.id)
            return bool(basecrm.Sync.NACK)
        return bool(basecrm.Sync.ACK)

    sync.fetch(nack_contacts)
    assert refused == [contact.id]
    sync.fetch(take)  # not acknowledged: delivered again
    assert seen[first:] == [("contact", contact.id)]
    assert official.sync.start(device) is None  # nothing new: 204
