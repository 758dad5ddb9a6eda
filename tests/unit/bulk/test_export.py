"""Records to flat rows, and back: an export is a valid import file."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from basecrm_like.bulk import (
    ColumnMapper,
    export_columns,
    flatten_record,
)

from .conftest import CONTACTS


# -- export and back --------------------------------------------------------------------
def test_export_columns_flatten_address_and_custom_fields() -> None:
    columns = export_columns(CONTACTS, ["b", "a"])
    assert "address.city" in columns and "address" not in columns
    assert columns.index("custom_fields.a") < columns.index("custom_fields.b")


@given(st.fixed_dictionaries({
    "last_name": st.text(st.characters(blacklist_categories=("Cs",)), min_size=1).filter(
        lambda s: s.strip() == s and s != ""),
    "is_organization": st.booleans(),
    "owner_id": st.integers(min_value=1, max_value=10**9),
    "tags": st.lists(st.from_regex(r"[a-z][a-z0-9 ]{0,8}[a-z0-9]", fullmatch=True),
                     max_size=4, unique=True),
}))
def test_an_exported_row_imports_to_the_same_attributes(record: dict) -> None:
    cells = flatten_record(CONTACTS, record)
    out, error = ColumnMapper(CONTACTS).attributes(cells)
    assert error is None
    expected = {k: v for k, v in record.items() if v != []}
    assert out == expected

