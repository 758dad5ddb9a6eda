"""Every custom field type of the mock's contacts, imported from CSV and JSON Lines, checked
against the definitions, then exported and imported again with nothing to change."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import requests

import basecrm_like
from basecrm_like.mock import serve

from .test_import_ import invoke, report_rows, request_log

#: one good value per type (the mock's contact custom fields), as a spreadsheet would hold them
GOOD = {"external_id": "ext-{i}", "Newsletter": "yes", "Last visit": "2024-05-01T09:30:00Z",
        "Interests": "Espresso;Cold brew", "Credit limit": "1500.50", "Notes": "line {i}",
        "Billing email": "billing{i}@example.com", "Office phone": "+1 555 01{i:02d}",
        "Profile": "https://example.com/{i}", "Segment": "Enterprise",
        "Customer since": "2020-12-31"}
#: the JSON type each value is stored as once coerced
STORED = {"Newsletter": bool, "Interests": list, "Credit limit": float, "Notes": str,
          "Segment": str, "Customer since": str, "Last visit": str}
#: a bad value per checked type, and words the failure names it by
BAD = [("Newsletter", "perhaps", "bool"), ("Last visit", "yesterday", "datetime"),
       ("Interests", "Espresso,Beer", "multi_select_list"), ("Credit limit", "lots", "number"),
       ("Customer since", "31/12/2020", "date"), ("Segment", "Huge", "list")]
GOOD_ROWS = 4


def source_rows() -> list[dict[str, Any]]:
    rows = [{"last_name": f"Typed{i}", "email": f"typed{i}@example.com",
             **{name: value.format(i=i) for name, value in GOOD.items()}}
            for i in range(GOOD_ROWS)]
    for n, (name, value, _) in enumerate(BAD):
        rows.append({"last_name": f"Bad{n}", "email": f"bad{n}@example.com", **GOOD,
                     name: value})
    return rows


def write_source(path: Path, fmt: str) -> str:
    rows = source_rows()
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["last_name", "email", *(f"custom_fields.{n}" for n in GOOD)])
            writer.writerows([row["last_name"], row["email"], *(row[n] for n in GOOD)]
                             for row in rows)
    else:   # nested objects, with JSON types where JSON has them
        typed = {"Newsletter": lambda v: v == "yes" or v, "Credit limit": _number,
                 "Interests": lambda v: v.split(";")}
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fields = {n: typed.get(n, str)(row[n]) for n in GOOD}
                fh.write(json.dumps({"last_name": row["last_name"], "email": row["email"],
                                     "custom_fields": fields}) + "\n")
    return str(path)


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_every_custom_field_type_is_typed_then_round_trips_unchanged(tmp_path: Path,
                                                                     fmt: str) -> None:
    source = write_source(tmp_path / f"people.{fmt}", fmt)
    report = tmp_path / "report.csv"
    with serve(seed=0) as server:
        common = ["--token", server.token, "--base-url", server.url, "--rate", "0"]
        code, out, err = invoke("import", "contacts", source, "--key", "email", "--report",
                                str(report), "--no-progress", *common)
        assert code == 1, err + out
        lines = report_rows(report)
        assert [r["status"] for r in lines] == ["created"] * GOOD_ROWS + ["failed"] * len(BAD)
        for line, (name, _value, kind) in zip(lines[GOOD_ROWS:], BAD, strict=True):
            assert line["error_code"] == "invalid_custom_field"
            assert line["error_field"] == f"custom_fields.{name}"
            assert f"({kind})" in line["message"] and name in line["message"], line
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        stored = {c.email: c.custom_fields for c in client.contacts.list(per_page=100)}
        assert len(stored) == GOOD_ROWS
        first = stored["typed0@example.com"]
        assert {n: type(first[n]) for n in STORED} == STORED
        assert first["Newsletter"] is True and first["Credit limit"] == 1500.5
        assert first["Interests"] == ["Espresso", "Cold brew"]
        for again in ("csv", "jsonl"):
            exported = tmp_path / f"export.{again}"
            code, _, err = invoke("export", "contacts", "-o", str(exported), *common)
            assert code == 0, err
            requests.delete(f"{server.url}/_mock/requests", timeout=10)
            code, out, err = invoke("import", "contacts", str(exported), "--key", "email",
                                    "--no-progress", *common)
            assert code == 0, err + out
            assert f"{GOOD_ROWS} rows: 0 created, 0 updated, {GOOD_ROWS} unchanged" in out, out
            assert all(e["method"] == "GET" or e["path"].endswith("/search")
                       for e in request_log(server))
