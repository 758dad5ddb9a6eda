"""``includes``: the documented names embed the related records, any other is 400."""
from __future__ import annotations

import pytest

import basecrm_like
from tests.support.contract import ContractTarget

pytestmark = pytest.mark.contract


def test_contact_includes_its_organization(contract: ContractTarget) -> None:
    org = contract.create("contacts", name=contract.name("Analytical Engines"),
                          is_organization=True)
    person = contract.create("contacts", last_name=contract.name("Byron"), contact_id=org.id)
    again = contract.client.contacts.retrieve(person.id, includes="organization")
    assert again.organization["id"] == org.id
    assert again.organization["name"] == contract.name("Analytical Engines")
    assert again.last_name == contract.name("Byron")   # the record itself is unchanged
    assert "organization" not in contract.client.contacts.retrieve(person.id)
    listed = contract.client.contacts.list(ids=[person.id, org.id], includes=["organization"])
    by_id = {c.id: c for c in listed}
    assert by_id[person.id].organization["id"] == org.id
    assert by_id[org.id].organization is None   # an organization belongs to none


def test_deal_includes_its_associated_contacts(contract: ContractTarget) -> None:
    org = contract.create("contacts", name=contract.name("Looms"), is_organization=True)
    person = contract.create("contacts", last_name=contract.name("Jacquard"))
    deal = contract.create("deals", name=contract.name("Punched cards"), contact_id=org.id)
    contract.client.associated_contacts.create(deal.id, contact_id=person.id, role="involved")
    again = contract.client.deals.retrieve(deal.id, includes="associated_contacts")
    assert [(a["contact_id"], a["role"]) for a in again.associated_contacts] == [
        (person.id, "involved")]
    listed = contract.client.deals.list(ids=[deal.id], includes="associated_contacts")
    assert [a["contact_id"] for a in listed[0].associated_contacts] == [person.id]


@pytest.mark.parametrize("resource, includes", [
    ("contacts", "owner"),            # a name contacts do not document
    ("notes", "creator"),             # notes: "not supported at the moment"
    ("leads", "organization"),        # leads document no includes at all
])
def test_undocumented_include_is_400_invalid_param(contract: ContractTarget, resource: str,
                                                   includes: str) -> None:
    service = getattr(contract.client, resource)
    with pytest.raises(basecrm_like.RequestError) as info:
        service.list(includes=includes) if resource != "leads" else \
            service.retrieve(1, includes=includes)
    assert info.value.http_status == 400
    error = info.value.errors[0]
    assert error.code == "invalid_param" and "includes" in error.message
    if resource == "notes" and not contract.real:
        assert "notes support no includes" in (error.details or "")
