"""`basecrm-like import` and `export`: exit statuses, messages, reports (no server needed)."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from basecrm_like.cli import _resume_command, cli

TOKEN = "t" * 64
BASE = "https://api.example.test"
GOOD = "first_name,last_name,email\nAda,Lovelace,ada@example.com\nAlan,Turing,alan@example.com\n"



@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def run(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- cannot run: exit 2, one clear line, no traceback ------------------------------------
@pytest.mark.parametrize("content,args,message", [
    (GOOD, ["contcts"], "did you mean 'contacts'"),
    (GOOD, ["contacts", "--key", "title"], "cannot use 'title'"),
    (GOOD, ["contacts", "--map", "x=shoe_size"], "no attribute 'shoe_size'"),
    (GOOD, ["contacts", "--map", "nonsense"], "column=attribute"),
    (GOOD, ["contacts"], "no access token"),
    ("", ["contacts", "--dry-run"], "empty"),
    (b"last_name\nM\xfcller\n", ["contacts", "--dry-run"], "--encoding"),
    (GOOD, ["contacts", "--encoding", "klingon", "--dry-run"], "unknown encoding"),
])
def test_problems_with_the_run_exit_2_with_a_message(runner, tmp_path, content, args,
                                                     message) -> None:
    path = write(tmp_path, "in.csv", content)
    code, out, err = run(runner, "import", args[0], path, *args[1:])
    assert code == 2 and message in err and "Traceback" not in err


def test_a_missing_file_exits_2(runner, tmp_path) -> None:
    code, _, err = run(runner, "import", "contacts", str(tmp_path / "nope.csv"), "--dry-run")
    assert code == 2 and "no such file" in err


def test_an_unfinished_journal_needs_resume(runner, tmp_path) -> None:
    path = write(tmp_path, "in.csv", GOOD)
    write(tmp_path, "in.csv.journal", '{"journal": 1, "resource": "contacts", "key": null}\n')
    code, _, err = run(runner, "import", "contacts", path, "--token", TOKEN)
    assert code == 2 and "--resume" in err


# -- dry run ----------------------------------------------------------------------------
def test_dry_run_of_good_rows_exits_0_without_a_token(runner, tmp_path) -> None:
    path = write(tmp_path, "in.csv", GOOD)
    code, out, _ = run(runner, "import", "contacts", path, "--dry-run", "--key", "email")
    assert code == 0 and "2 rows: 2 valid, 0 failed, 0 skipped" in out
    assert not (tmp_path / "in.csv.journal").exists()


def test_dry_run_lists_bad_rows_and_exits_1(runner, tmp_path) -> None:
    path = write(tmp_path, "in.csv", "last_name,is_organization,nickname\n"
                 "A,maybe,\n,false,\nC,,hello\nD,,\n\"E,x\nF,,,\n")
    code, out, err = run(runner, "import", "contacts", path, "--dry-run")
    assert code == 1
    assert "row 1: invalid_value (is_organization)" in err
    assert "row 2: missing (last_name)" in err
    assert "row 3: unknown_column (nickname)" in err
    assert "row 5: broken_quoting" in err
    assert "note: column 'nickname'" in err
    assert "7 rows: 1 valid, 6 failed" in out or "valid" in out


def test_header_only_file_is_fine(runner, tmp_path) -> None:
    path = write(tmp_path, "in.csv", "last_name,email\n")
    code, out, _ = run(runner, "import", "contacts", path, "--dry-run")
    assert code == 0 and out.startswith("0 rows")


def test_map_file_and_encoding(runner, tmp_path) -> None:
    path = write(tmp_path, "in.csv", "Surname;x\n".replace(";", ",").encode() +
                 "M\xfcller,1\n".encode("latin-1"))
    mapping = write(tmp_path, "map.json", json.dumps({"Surname": "last_name", "x": "-"}))
    code, out, _ = run(runner, "import", "contacts", path, "--dry-run", "--map-file", mapping,
                       "--encoding", "latin-1")
    assert code == 0 and "1 valid" in out


def test_jsonl_input(runner, tmp_path) -> None:
    path = write(tmp_path, "in.jsonl", '{"last_name": "A"}\n{"last_name": 5}\nnope\n')
    code, _, err = run(runner, "import", "contacts", path, "--dry-run")
    assert code == 1 and "row 3: invalid_json" in err


# -- against a fake API -----------------------------------------------------------------
@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def contact(id: int, **kw: object) -> dict:
    return {"data": {"id": id, "created_at": "2024-01-01T00:00:00Z",
                     "updated_at": "2024-01-01T00:00:00Z", **kw}, "meta": {"type": "contact"}}


def test_import_writes_a_report_and_journal(runner, tmp_path, api) -> None:
    api.get(f"{BASE}/v2/contacts", json={"items": []})
    api.post(f"{BASE}/v2/contacts/upsert", json=contact(7))
    path = write(tmp_path, "in.csv", GOOD + "NoLast,,x@example.com\n")
    report = tmp_path / "out" / "report.csv"
    report.parent.mkdir()
    code, out, err = run(runner, "import", "contacts", path, "--key", "email", "--rate", "0",
                         "--report", str(report), "--token", TOKEN, "--base-url", BASE)
    assert code == 1, err
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 failed, 0 skipped" in out
    assert "5 requests, 0 rate-limited" in out   # a list per row, 2 upserts
    lines = report.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and lines[3].startswith("3,4,failed,,x@example.com,missing,last_name")
    journal = Path(f"{report}.journal").read_text(encoding="utf-8").splitlines()
    assert json.loads(journal[-1])["finished"]


def test_import_of_all_good_rows_exits_0(runner, tmp_path, api) -> None:
    api.post(f"{BASE}/v2/contacts", json=contact(1))
    path = write(tmp_path, "in.csv", GOOD)
    code, out, _ = run(runner, "import", "contacts", path, "--rate", "0", "--token", TOKEN,
                       "--base-url", BASE)
    assert code == 0 and "2 created" in out


def test_resume_command_never_shows_the_token() -> None:
    command = _resume_command({"resource": "contacts", "file": "my people.csv", "key": "email",
                               "concurrency": 8, "rate": 10.0, "report": None, "maps": ("a=b",),
                               "token": TOKEN, "base_url": None, "no_compare": False})
    assert command == ("basecrm-like import contacts 'my people.csv' --key email "
                       "--concurrency 8 --rate 10 --map a=b --resume")


def test_export_csv_flattens_address_and_custom_fields(runner, tmp_path, api) -> None:
    api.get(f"{BASE}/v2/contact/custom_fields", json={"items": [
        {"data": {"id": 1, "name": "Segment"}}]})
    page = [contact(i, last_name=f"L{i}", tags=["a", "b"], is_organization=False,
                    address={"city": "Paris", "line1": None},
                    custom_fields={"Segment": "SMB"}) for i in (1, 2)]
    api.get(f"{BASE}/v2/contacts", json={"items": page})
    out_path = tmp_path / "out.csv"
    code, _, err = run(runner, "export", "contacts", "-o", str(out_path), "--filter",
                       "address.city=Paris", "--token", TOKEN, "--base-url", BASE)
    assert code == 0, err
    with out_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and "address" not in rows[0]
    assert rows[0]["address.city"] == "Paris" and rows[0]["custom_fields.Segment"] == "SMB"
    assert rows[0]["tags"] == "a,b" and rows[0]["is_organization"] == "false"
    assert any("address%5Bcity%5D=Paris" in c.request.url for c in api.calls)


def test_export_jsonl_to_stdout(runner, api) -> None:
    api.get(f"{BASE}/v2/deals", json={"items": [
        {"data": {"id": 1, "name": "D", "value": "10.50"}}]})
    code, out, _ = run(runner, "export", "deals", "--format", "jsonl", "--token", TOKEN,
                       "--base-url", BASE)
    assert code == 0 and json.loads(out) == {"id": 1, "name": "D", "value": "10.50"}


@pytest.mark.parametrize("args,message", [
    (["contacts", "--filter", "shoe_size=9"], "cannot be filtered on 'shoe_size'"),
    (["dealz"], "did you mean 'deals'"),
    (["contacts", "--filter", "x"], "name=value"),
])
def test_export_problems_exit_2(runner, args, message) -> None:
    code, _, err = run(runner, "export", *args, "--token", TOKEN, "--base-url", BASE)
    assert code == 2 and message in err
