"""Creating, updating and deleting records: defaults, server-set attributes,
foreign keys and cascades."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend import records
from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG

from ..conftest import create

DEALS = CATALOG["deals"]


def test_create_fills_defaults_and_server_set_attributes(seeded: Store) -> None:
    contact = create(seeded, "contacts", last_name="Lovelace")
    assert contact["id"] == 1 and contact["creator_id"] == 1 and contact["owner_id"] == 1
    assert contact["tags"] == [] and contact["address"]["city"] is None
    assert seeded.get(CATALOG["contacts"], 1) == contact


def test_foreign_keys_must_point_somewhere(seeded: Store) -> None:
    with pytest.raises(ApiError) as info:
        create(seeded, "deals", name="D", contact_id=999)
    assert (info.value.status, info.value.items[0].field) == (422, "/data/contact_id")


def test_an_update_that_changes_nothing_writes_nothing(seeded: Store) -> None:
    contact = create(seeded, "contacts", last_name="L", custom_fields={"a": 1, "b": 2})
    changed = records.update(seeded, CATALOG["contacts"], contact, {"custom_fields": {"a": None}},
                             {"custom_fields": {"a": None}}, user_id=1, now="later")
    assert changed["custom_fields"] == {"b": 2} and changed["updated_at"] == "later"
    same = records.update(seeded, CATALOG["contacts"], changed, {}, {}, user_id=1, now="never")
    assert same["updated_at"] == "later"


def test_destroy_cascades_to_nested_records(seeded: Store) -> None:
    contact = create(seeded, "contacts", last_name="L")
    deal = create(seeded, "deals", name="D", contact_id=contact["id"])
    associations = CATALOG["associated_contacts"]
    records.create(seeded, associations, {"contact_id": contact["id"], "role": "involved"},
                   parent=deal["id"], user_id=1, now="t")
    assert records.destroy(seeded, DEALS, deal["id"])
    assert seeded.child_ids(associations, deal["id"]) == []
    assert not records.destroy(seeded, DEALS, deal["id"])


def test_insert_as_given_keeps_the_id_and_server_set_values(seeded: Store) -> None:
    visit = records.insert_as_given(seeded, CATALOG["visits"], {"id": 50, "created_at": "then"})
    assert visit["id"] == 50 and visit["created_at"] == "then"
    assert seeded.next_id(CATALOG["visits"]) == 51
