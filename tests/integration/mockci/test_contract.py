"""API behaviour that holds for the mock and for a real account alike.

Run against a sandbox with ``BASECRM_CONTRACT_URL=https://api.getbase.com
BASECRM_CONTRACT_TOKEN=... pytest -m contract`` (see the mock guide).
"""
from __future__ import annotations

from decimal import Decimal

import pytest

import basecrm_like
from tests.support.contract import ContractTarget

pytestmark = pytest.mark.contract


def test_contact_round_trip_and_partial_update(contract: ContractTarget) -> None:
    person = contract.create("contacts", first_name="Ada", last_name=contract.name("Lovelace"),
                             tags=["contract"])
    again = contract.client.contacts.retrieve(person.id)
    assert again.last_name == contract.name("Lovelace") and again.is_organization is False
    updated = contract.client.contacts.update(person.id, title="Countess")
    assert updated.title == "Countess" and updated.first_name == "Ada"
    found = contract.client.contacts.list(last_name=contract.name("Lovelace"))
    assert [c.id for c in found] == [person.id]


def test_deal_value_is_exact_and_added_on_is_a_date(contract: ContractTarget) -> None:
    org = contract.create("contacts", name=contract.name("Engines"), is_organization=True)
    deal = contract.create("deals", name=contract.name("Difference engine"), contact_id=org.id,
                           value=Decimal("1000.99"), added_on="2026-03-01")
    again = contract.client.deals.retrieve(deal.id)
    assert again.value == Decimal("1000.99") and again.added_on == "2026-03-01"
    assert again.organization_id == org.id


def test_missing_required_attribute_is_422_naming_it(contract: ContractTarget) -> None:
    with pytest.raises(basecrm_like.ResourceError) as info:
        contract.create("contacts", first_name="Nameless")
    assert info.value.http_status == 422
    assert any("last_name" in (e.field or "") for e in info.value.errors)


def test_unknown_record_is_404(contract: ContractTarget) -> None:
    with pytest.raises(basecrm_like.RequestError) as info:
        contract.client.contacts.retrieve(9_007_199_254_740_000)
    assert info.value.http_status == 404


def test_collaboration_on_own_contact(contract: ContractTarget) -> None:
    me = contract.client.users.self()
    person = contract.create("contacts", last_name=contract.name("Followed"))
    follow = contract.create("collaborations", resource_type="contact", resource_id=person.id,
                             collaborator_id=me.id)
    listed = contract.client.collaborations.list(resource_type="contact", resource_id=person.id)
    assert follow.id in [c.id for c in listed]


def test_lead_conversion_creates_the_contact(contract: ContractTarget) -> None:
    lead = contract.create("leads", first_name="Grace", last_name=contract.name("Hopper"))
    conversion = contract.client.lead_conversions.create(lead_id=lead.id)
    contract.adopt("contacts", conversion.individual_id)
    contract.adopt("contacts", conversion.organization_id)
    person = contract.client.contacts.retrieve(conversion.individual_id)
    assert person.last_name == contract.name("Hopper")
