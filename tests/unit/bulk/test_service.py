"""client.bulk: imports and exports over the client's HTTP layer, which they leave as it was."""
from __future__ import annotations

from pathlib import Path

from basecrm_like.bulk import RowResult

from .conftest import people


def test_client_bulk_import_records_with_report(client, api, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    seen: list[RowResult] = []
    summary = client.bulk.import_records("contacts", people(3) + [{"first_name": "x"}],
                                         key="email", rate=0, report=str(report),
                                         on_result=seen.append)
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,line,status,id,key,error_code,error_field,message"
    assert [line.split(",")[2] for line in lines[1:]] == ["created"] * 3 + ["failed"]
    assert len(seen) == 4 and summary.failed == 1 and not summary.ok
    assert summary.requests == 5  # definitions, one prefetch page, 3 upserts
    assert summary.rate_limited == 0


def test_client_bulk_export_records_is_lazy(client, api) -> None:
    api.records += [{"id": i, "last_name": f"L{i}"} for i in range(1, 4)]
    records = client.bulk.export_records("contacts")
    assert api.calls == []
    assert [r.id for r in records] == [1, 2, 3]

