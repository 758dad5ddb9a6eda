"""`basecrm-like export`: columns, filters, formats and exit statuses (no server needed)."""
from __future__ import annotations

import csv
import json

import pytest

from basecrm_like import resources
from basecrm_like.cli.export import parse_filters

from . import BASE, TOKEN


def test_export_csv_flattens_address_and_custom_fields(invoke, rsps, contact, tmp_path) -> None:
    rsps.get(f"{BASE}/v2/contact/custom_fields", json={"items": [
        {"data": {"id": 1, "name": "Segment"}}]})
    page = [contact(i, last_name=f"L{i}", tags=["a", "b"], is_organization=False,
                    address={"city": "Paris", "line1": None},
                    custom_fields={"Segment": "SMB"}) for i in (1, 2)]
    rsps.get(f"{BASE}/v2/contacts", json={"items": page})
    out_path = tmp_path / "out.csv"
    code, _, err = invoke("export", "contacts", "-o", str(out_path), "--filter",
                          "address.city=Paris", "--token", TOKEN, "--base-url", BASE)
    assert code == 0, err
    with out_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and "address" not in rows[0]
    assert rows[0]["address.city"] == "Paris" and rows[0]["custom_fields.Segment"] == "SMB"
    assert rows[0]["tags"] == "a,b" and rows[0]["is_organization"] == "false"
    assert any("address%5Bcity%5D=Paris" in c.request.url for c in rsps.calls)


def test_export_jsonl_to_stdout(invoke, rsps) -> None:
    rsps.get(f"{BASE}/v2/deals", json={"items": [
        {"data": {"id": 1, "name": "D", "value": "10.50"}}]})
    code, out, _ = invoke("export", "deals", "--format", "jsonl", "--token", TOKEN,
                          "--base-url", BASE)
    assert code == 0 and json.loads(out) == {"id": 1, "name": "D", "value": "10.50"}


@pytest.mark.parametrize("args,message", [
    (["contacts", "--filter", "shoe_size=9"], "cannot be filtered on 'shoe_size'"),
    (["dealz"], "did you mean 'deals'"),
    (["contacts", "--filter", "x"], "name=value"),
])
def test_export_problems_exit_2(invoke, args, message) -> None:
    code, _, err = invoke("export", *args, "--token", TOKEN, "--base-url", BASE)
    assert code == 2 and message in err


def test_filters_on_nested_attributes_become_nested_parameters() -> None:
    contacts = resources.get("contacts")
    params = parse_filters(contacts, ["address.city=Paris", "custom_fields.Segment=SMB",
                                      "sort_by=id:desc"])
    assert params == {"address": {"city": "Paris"}, "custom_fields": {"Segment": "SMB"},
                      "sort_by": "id:desc"}
    with pytest.raises(ValueError, match="cannot be filtered on 'address.planet'"):
        parse_filters(contacts, ["address.planet=Mars"])
