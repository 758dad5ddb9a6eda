"""Custom-field values typed by the account's definitions, and round trips through export."""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from basecrm_like.bulk import CustomFieldTypes, read_rows, write_csv_records
from basecrm_like.http.encoding import encode_json

from .conftest import CONTACTS

DEFINITIONS = [
    {"name": "Score", "type": "number"},
    {"name": "Since", "type": "date"},
    {"name": "Seen", "type": "datetime"},
    {"name": "VIP", "type": "bool"},
    {"name": "Segment", "type": "list", "choices": [{"id": 1, "name": "SMB"},
                                                   {"id": 2, "name": "Enterprise"}]},
    {"name": "Topics", "type": "multi_select_list",
     "choices": [{"id": 1, "name": "coffee"}, {"id": 2, "name": "tea"}, {"id": 3, "name": "milk"}]},
    {"name": "Note", "type": "string"},
]
TYPES = CustomFieldTypes(DEFINITIONS)


def coerced(**values: Any) -> dict[str, Any]:
    attributes = {"custom_fields": dict(values)}
    assert TYPES.coerce(attributes) is None
    return attributes["custom_fields"]


def test_each_type_is_sent_as_its_json_type() -> None:
    assert coerced(Score="42", Since="2024-05-01", Seen="2024-05-01T09:30:00Z", VIP="yes",
                   Segment="SMB", Topics="coffee; tea", Note="007") == {
        "Score": 42, "Since": "2024-05-01", "Seen": "2024-05-01T09:30:00Z", "VIP": True,
        "Segment": "SMB", "Topics": ["coffee", "tea"], "Note": "007"}
    assert coerced(Score="2.50")["Score"] == 2.5
    assert coerced(Score="0.1000000000000000000001")["Score"] == Decimal("0.1000000000000000000001")
    assert coerced(Score=7, VIP=False, Topics=["milk"]) == {"Score": 7, "VIP": False,
                                                            "Topics": ["milk"]}
    assert coerced(Unknown="as read") == {"Unknown": "as read"}


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("Score", "many", "number"), ("Score", True, "number"), ("Since", "01/05/2024", "date"),
    ("Seen", "yesterday", "ISO 8601"), ("VIP", "perhaps", "true or false"),
    ("Segment", "Huge", "SMB, Enterprise"), ("Topics", "coffee,beer", "coffee, tea, milk"),
])
def test_a_bad_value_fails_naming_the_field_and_the_type(name: str, value: Any,
                                                         expected: str) -> None:
    error = TYPES.coerce({"custom_fields": {name: value}})
    assert error is not None and error.code == "invalid_custom_field"
    assert error.field == f"custom_fields.{name}" and name in error.message
    assert expected in error.message and TYPES.types[name] in error.message


ROWS = [{"last_name": f"L{i}", "email": f"p{i}@example.com",
         "custom_fields.Score": str(i * 10 + 0.5), "custom_fields.Since": "2024-05-01",
         "custom_fields.Seen": "2024-05-01T09:30:00Z", "custom_fields.VIP": "true" if i else "no",
         "custom_fields.Segment": "Enterprise", "custom_fields.Topics": "tea;milk",
         "custom_fields.Note": f"n{i}"} for i in range(5)]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_every_type_round_trips_through_export_and_import_unchanged(client, api, fmt: str,
                                                                    tmp_path: Path) -> None:
    api.definitions = DEFINITIONS
    first = client.bulk.import_records("contacts", ROWS, key="email", rate=0)
    assert first.counts["created"] == 5, first.line()
    stored = api.records[0]["custom_fields"]
    assert isinstance(stored["VIP"], bool) and isinstance(stored["Topics"], list)
    assert not isinstance(stored["Score"], str)
    path = tmp_path / f"export.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as out:
        if fmt == "csv":
            for _ in write_csv_records(out, api.records, CONTACTS, [d["name"] for d in DEFINITIONS]):
                pass
        else:
            out.writelines(encode_json(r) + "\n" for r in api.records)
    again = client.bulk.import_records("contacts", read_rows(str(path)), key="email", rate=0)
    assert again.counts["unchanged"] == 5, again.line()
    assert api.count("upsert") == 5 and api.count("update") == 0


def test_csv_export_keeps_a_custom_field_first_seen_on_the_last_record() -> None:
    records = [{"id": i, "last_name": f"L{i}", "custom_fields": {}} for i in range(300)]
    records[-1]["custom_fields"] = {"Late": "yes"}
    out = io.StringIO()
    written = sum(1 for _ in write_csv_records(out, iter(records), CONTACTS, ["Early"]))
    lines = out.getvalue().splitlines()
    header = lines[0].split(",")
    assert written == 300 and len(lines) == 301
    assert "custom_fields.Late" in header and "custom_fields.Early" in header
    assert lines[-1].split(",")[header.index("custom_fields.Late")] == "yes"
