"""Resources and rules the catalog gained, through the client against the mock."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

import basecrm_like
from tests.support.contract import ContractTarget

Client = Any


def _get(server: Any, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}/v2{path}", params=params, timeout=10,
                        headers={"Authorization": f"Bearer {server.token}",
                                 "User-Agent": "fidelity-test"})


@pytest.mark.contract
def test_deals_carry_added_on(contract: ContractTarget) -> None:
    org = contract.create("contacts", name=contract.name("Cafe Nero"), is_organization=True)
    deal = contract.create("deals", name=contract.name("Beans"), contact_id=org.id,
                           added_on="2026-03-01")
    assert contract.client.deals.retrieve(deal.id).added_on == "2026-03-01"
    with pytest.raises(basecrm_like.ResourceError):
        contract.client.deals.update(deal.id, added_on="first of March")


@pytest.mark.contract
def test_contacts_carry_billing_and_shipping_addresses(contract: ContractTarget) -> None:
    org = contract.create(
        "contacts", name=contract.name("Roastery"), is_organization=True,
        billing_address={"city": "Oslo"}, shipping_address={"city": "Bergen", "country": "NO"})
    again = contract.client.contacts.retrieve(org.id)
    assert again.billing_address["city"] == "Oslo"
    assert again.shipping_address["country"] == "NO"


def test_users_filter_by_zendesk_user_ids(basecrm_client: Client, basecrm_mock: Any) -> None:
    first = basecrm_mock.app.insert("users", {"name": "Zed", "email": "zed@example.com",
                                              "zendesk_user_id": "9001"})
    second = basecrm_mock.app.insert("users", {"name": "Zoe", "email": "zoe@example.com",
                                               "zendesk_user_id": "9002"})
    found = basecrm_client.users.list(zendesk_user_ids="9001,9002,1")
    assert sorted(u.id for u in found) == sorted([first["id"], second["id"]])
    assert basecrm_client.users.list(zendesk_user_ids="404") == []


def test_lead_conversion_opens_a_deal_when_asked(basecrm_client: Client) -> None:
    lead = basecrm_client.leads.create(first_name="Ada", last_name="King",
                                       organization_name="Engines Ltd", owner_id=2)
    conversion = basecrm_client.lead_conversions.create(lead_id=lead.id, create_deal=True)
    deal = basecrm_client.deals.retrieve(conversion.deal_id)
    assert deal.name == "Engines Ltd" and deal.contact_id == conversion.organization_id
    assert deal.owner_id == 2
    plain = basecrm_client.leads.create(last_name="Solo")
    assert basecrm_client.lead_conversions.create(lead_id=plain.id).deal_id is None


def _follow(server: Any, link: str) -> dict[str, Any]:
    return dict(requests.get(link, timeout=10, headers={
        "Authorization": f"Bearer {server.token}", "User-Agent": "fidelity-test"}).json())


def test_lead_conversions_cap_page_at_50_and_page_on_by_cursor(basecrm_mock: Any) -> None:
    for index in range(53):
        lead = basecrm_mock.app.insert("leads", {"last_name": f"Lead {index}"})
        basecrm_mock.app.insert("lead_conversions", {"lead_id": lead["id"]})
    every = [item["data"]["id"] for item in
             _get(basecrm_mock, "/lead_conversions", per_page=200).json()["items"]]
    assert len(every) == 53
    capped = _get(basecrm_mock, "/lead_conversions", page=51, per_page=1)
    assert capped.status_code == 400
    error = capped.json()["errors"][0]["error"]
    assert error["field"] == "page" and "cursor" in error["details"]
    # below the cap, next_page is a page number; page 50 hands over to a cursor
    early = _get(basecrm_mock, "/lead_conversions", page=49, per_page=1).json()
    assert "page=50" in early["meta"]["links"]["next_page"]
    answer = _get(basecrm_mock, "/lead_conversions", page=50, per_page=1).json()
    seen = [item["data"]["id"] for item in answer["items"]]
    while "next_page" in answer["meta"]["links"]:
        query = parse_qs(urlparse(answer["meta"]["links"]["next_page"]).query)
        assert "cursor" in query and "page" not in query
        answer = _follow(basecrm_mock, answer["meta"]["links"]["next_page"])
        seen += [item["data"]["id"] for item in answer["items"]]
    assert seen == every[49:]
    bad = _get(basecrm_mock, "/lead_conversions", cursor="not-a-cursor")
    assert bad.status_code == 400 and bad.json()["errors"][0]["error"]["field"] == "cursor"

