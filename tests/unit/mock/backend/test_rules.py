"""Behaviour of particular resources: derived attributes, product data, lead conversion."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend import records
from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.backend.rules import RULES, dropbox_email
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG

from ..conftest import create


def test_every_rule_belongs_to_a_catalog_resource() -> None:
    assert set(RULES) <= set(CATALOG)


def test_a_deal_takes_its_organization_and_default_stage(seeded: Store) -> None:
    org = create(seeded, "contacts", is_organization=True, name="Org")
    person = create(seeded, "contacts", last_name="P", contact_id=org["id"])
    deal = create(seeded, "deals", name="D", contact_id=person["id"])
    assert deal["organization_id"] == org["id"] and deal["stage_id"] == 1
    assert deal["value"] == "0" and deal["dropbox_email"] == dropbox_email(deal["id"])


def test_a_contact_can_only_belong_to_an_organization(seeded: Store) -> None:
    person = create(seeded, "contacts", last_name="P")
    with pytest.raises(ApiError, match="not an organization"):
        create(seeded, "contacts", last_name="Q", contact_id=person["id"])


def test_line_items_copy_the_product_price_in_their_currency(seeded: Store) -> None:
    order = create(seeded, "orders", deal_id=create(seeded, "deals", name="D")["id"])
    line_items = CATALOG["line_items"]
    item = records.create(seeded, line_items, {"product_id": 1, "currency": "EUR", "quantity": 1},
                          parent=order["id"], user_id=1, now="t")
    assert (item["price"], item["sku"]) == ("920.00", "ESP-100")
    with pytest.raises(ApiError, match="no price in GBP"):
        records.create(seeded, line_items, {"product_id": 1, "currency": "GBP", "quantity": 1},
                       parent=order["id"], user_id=1, now="t")


def test_converting_a_lead_creates_its_contacts_once(seeded: Store) -> None:
    lead = create(seeded, "leads", first_name="Ada", last_name="L", organization_name="Org")
    conversion = create(seeded, "lead_conversions", lead_id=lead["id"])
    person = seeded.get(CATALOG["contacts"], conversion["individual_id"])
    assert person is not None and person["contact_id"] == conversion["organization_id"]
    with pytest.raises(ApiError, match="already been converted"):
        create(seeded, "lead_conversions", lead_id=lead["id"])
