"""Request bodies checked against a catalog entry: every problem reported at once."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.backend.validation import check_body, parse_envelope
from basecrm_like.resources import CATALOG

CONTACTS = CATALOG["contacts"]


@pytest.mark.parametrize("payload", [[], {"record": {}}, {"data": [], "meta": {}},
                                     {"data": {}, "extra": 1}])
def test_the_envelope_is_required(payload: object) -> None:
    with pytest.raises(ApiError) as info:
        parse_envelope(payload)
    assert (info.value.status, info.value.items[0].code) == (400, "invalid_payload")


def test_every_problem_is_reported_with_a_pointer() -> None:
    with pytest.raises(ApiError) as info:
        check_body(CONTACTS, {"colour": "red", "email": 3, "address": {"planet": "Mars"}})
    found = {(item.code, item.field) for item in info.value.items}
    assert found == {("unknown", "/data/colour"), ("invalid_type", "/data/email"),
                     ("unknown", "/data/address/planet")}
    assert info.value.status == 422


def test_required_attributes_on_create_and_blank_on_update() -> None:
    with pytest.raises(ApiError) as info:
        check_body(CONTACTS, {"first_name": "Ada"})
    assert info.value.items[0].code == "missing"
    stored = {"last_name": "Lovelace", "is_organization": False}
    with pytest.raises(ApiError) as info:
        check_body(CONTACTS, {"last_name": " "}, stored)
    assert info.value.items[0].code == "blank"


def test_echoed_and_unchanged_read_only_values_are_accepted() -> None:
    stored = {"id": 1, "last_name": "L", "is_organization": False, "created_at": "x"}
    changes = check_body(CONTACTS, {**stored, "last_name": "M"}, stored)
    assert changes == {"last_name": "M"}
    with pytest.raises(ApiError) as info:
        check_body(CONTACTS, {"is_organization": True}, stored)
    assert info.value.items[0].code == "incorrect_value"  # create-only
