"""Columns to attributes: mapping, catalog coercion and required attributes."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from basecrm_like import resources
from basecrm_like.bulk import (
    ColumnMapper,
    InputError,
    load_map_file,
    missing_required,
    parse_map_options,
)

from .conftest import CONTACTS


# -- mapping and coercion ---------------------------------------------------------------
def attrs(row: dict, **mapping: str) -> tuple:
    return ColumnMapper(CONTACTS, mapping).attributes(row)


def test_values_are_coerced_by_the_catalog_types() -> None:
    out, error = attrs({"last_name": "Lovelace", "is_organization": "No", "owner_id": "7",
                        "tags": "vip; london,, math", "address.city": "London",
                        "custom_fields.external_id": "42", "email": ""})
    assert error is None
    assert out == {"last_name": "Lovelace", "is_organization": False, "owner_id": 7,
                   "tags": ["vip", "london", "math"], "address": {"city": "London"},
                   "custom_fields": {"external_id": "42"}}


@pytest.mark.parametrize("column,value,code", [
    ("is_organization", "maybe", "invalid_value"),
    ("owner_id", "7.5", "invalid_value"),
    ("owner_id", "seven", "invalid_value"),
    ("customer_status", "vip", "invalid_value"),
    ("address.planet", "Mars", "unknown_column"),
    ("nickname", "Ada", "unknown_column"),
])
def test_bad_values_fail_with_a_reason(column: str, value: str, code: str) -> None:
    _, error = attrs({"last_name": "L", column: value})
    assert error is not None and error.code == code
    assert column in error.message


def test_unknown_column_without_a_value_is_harmless_and_read_only_columns_are_ignored() -> None:
    out, error = attrs({"last_name": "L", "nickname": "", "id": "5", "created_at": "x"})
    assert error is None and out == {"last_name": "L"}


def test_mapping_renames_and_drops_columns_and_names_are_normalised() -> None:
    out, error = attrs({"Surname": "L", "Notes": "x", "First Name": "Ada", "E-mail": "a@b.c"},
                       Surname="last_name", Notes="-", **{"E-mail": "email"})
    assert error is None
    assert out == {"last_name": "L", "first_name": "Ada", "email": "a@b.c"}


def test_mapping_to_an_unknown_attribute_is_an_input_error() -> None:
    with pytest.raises(InputError, match="did you mean 'last_name'"):
        ColumnMapper(CONTACTS, {"x": "lastname"})


def test_typed_values_from_json_pass_through() -> None:
    deals = ColumnMapper(resources.get("deals"))
    out, error = deals.attributes({"name": "D", "contact_id": 3, "hot": True,
                                   "value": Decimal("10.50"), "tags": ["a"],
                                   "custom_fields": {"Lead ID": 9},
                                   "estimated_close_date": "2024-05-01"})
    assert error is None and out["value"] == Decimal("10.50") and out["hot"] is True
    _, error = deals.attributes({"name": "D", "estimated_close_date": "tomorrow"})
    assert error is not None and error.field == "estimated_close_date"


def test_header_notes_explain_odd_columns() -> None:
    notes = ColumnMapper(CONTACTS).header_notes(["last_name", "id", "nickname"])
    assert len(notes) == 1 and "nickname" in notes[0] and "--map" in notes[0]


def test_map_options_and_files(tmp_path: Path) -> None:
    assert parse_map_options(["E-mail=email", "Notes=", "a=b=c"]) == {
        "E-mail": "email", "Notes": "-", "a=b": "c"}
    with pytest.raises(InputError):
        parse_map_options(["no-equals-sign"])
    as_json = tmp_path / "map.json"
    as_json.write_text(json.dumps({"Surname": "last_name"}), encoding="utf-8")
    assert load_map_file(str(as_json)) == {"Surname": "last_name"}
    as_csv = tmp_path / "map.csv"
    as_csv.write_text("column,attribute\nSurname,last_name\nNotes,\n", encoding="utf-8")
    assert load_map_file(str(as_csv)) == {"Surname": "last_name", "Notes": "-"}


def test_required_attributes_follow_the_catalog() -> None:
    error = missing_required(CONTACTS, {"first_name": "Ada"})
    assert error is not None and error.field == "last_name"
    assert missing_required(CONTACTS, {"last_name": "L"}) is None
    error = missing_required(CONTACTS, {"is_organization": True})
    assert error is not None and error.field == "name"
    assert missing_required(resources.get("leads"), {"organization_name": "Acme"}) is None
    error = missing_required(resources.get("deals"), {"name": "D"})
    assert error is not None and error.field == "contact_id"



def test_every_address_attribute_takes_key_columns() -> None:
    out, error = attrs({"last_name": "Lovelace", "address.city": "London",
                        "billing_address.city": "Leeds", "shipping_address.country": "UK"})
    assert error is None
    assert out["billing_address"] == {"city": "Leeds"} and out["address"] == {"city": "London"}
    assert out["shipping_address"] == {"country": "UK"}
    assert attrs({"billing_address.planet": "Mars"})[1].code == "unknown_column"
