"""`basecrm-like import`: exit statuses, messages, reports and journals (no server needed)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from basecrm_like.cli.import_ import resume_command

from . import BASE, TOKEN

GOOD = "first_name,last_name,email\nAda,Lovelace,ada@example.com\nAlan,Turing,alan@example.com\n"


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
def test_problems_with_the_run_exit_2_with_a_message(invoke, write, content, args,
                                                     message) -> None:
    path = write("in.csv", content)
    code, out, err = invoke("import", args[0], path, *args[1:])
    assert code == 2 and message in err and "Traceback" not in err


def test_a_missing_file_exits_2(invoke, tmp_path) -> None:
    code, _, err = invoke("import", "contacts", str(tmp_path / "nope.csv"), "--dry-run")
    assert code == 2 and "no such file" in err


def test_an_unfinished_journal_needs_resume(invoke, write) -> None:
    path = write("in.csv", GOOD)
    write("in.csv.journal", '{"journal": 1, "resource": "contacts", "key": null}\n')
    code, _, err = invoke("import", "contacts", path, "--token", TOKEN)
    assert code == 2 and "--resume" in err


# -- dry run ----------------------------------------------------------------------------
def test_dry_run_of_good_rows_exits_0_without_a_token(invoke, write, tmp_path) -> None:
    path = write("in.csv", GOOD)
    code, out, _ = invoke("import", "contacts", path, "--dry-run", "--key", "email")
    assert code == 0 and "2 rows: 2 valid, 0 failed, 0 skipped" in out
    assert not (tmp_path / "in.csv.journal").exists()


def test_dry_run_lists_bad_rows_and_exits_1(invoke, write) -> None:
    path = write("in.csv", "last_name,is_organization,nickname\n"
                 "A,maybe,\n,false,\nC,,hello\nD,,\n\"E,x\nF,,,\n")
    code, out, err = invoke("import", "contacts", path, "--dry-run")
    assert code == 1
    assert "row 1: invalid_value (is_organization)" in err
    assert "row 2: missing (last_name)" in err
    assert "row 3: unknown_column (nickname)" in err
    assert "row 5: broken_quoting" in err
    assert "note: column 'nickname'" in err
    assert "7 rows: 1 valid, 6 failed" in out or "valid" in out


def test_header_only_file_is_fine(invoke, write) -> None:
    path = write("in.csv", "last_name,email\n")
    code, out, _ = invoke("import", "contacts", path, "--dry-run")
    assert code == 0 and out.startswith("0 rows")


def test_map_file_and_encoding(invoke, write) -> None:
    path = write("in.csv", "Surname;x\n".replace(";", ",").encode() +
                 "M\xfcller,1\n".encode("latin-1"))
    mapping = write("map.json", json.dumps({"Surname": "last_name", "x": "-"}))
    code, out, _ = invoke("import", "contacts", path, "--dry-run", "--map-file", mapping,
                          "--encoding", "latin-1")
    assert code == 0 and "1 valid" in out


def test_jsonl_input(invoke, write) -> None:
    path = write("in.jsonl", '{"last_name": "A"}\n{"last_name": 5}\nnope\n')
    code, _, err = invoke("import", "contacts", path, "--dry-run")
    assert code == 1 and "row 3: invalid_json" in err


# -- against a fake API -----------------------------------------------------------------
def test_import_writes_a_report_and_journal(invoke, write, rsps, contact, tmp_path) -> None:
    rsps.get(f"{BASE}/v2/contacts", json={"items": []})
    rsps.get(f"{BASE}/v2/contact/custom_fields", json={"items": []})
    rsps.post(f"{BASE}/v2/contacts/upsert", json=contact(7))
    path = write("in.csv", GOOD + "NoLast,,x@example.com\n")
    report = tmp_path / "out" / "report.csv"
    report.parent.mkdir()
    code, out, err = invoke("import", "contacts", path, "--key", "email", "--rate", "0",
                            "--report", str(report), "--token", TOKEN, "--base-url", BASE)
    assert code == 1, err
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 failed, 0 skipped" in out
    # the custom field definitions, one page of prefetch, 2 upserts
    assert "4 requests, 0 rate-limited" in out
    lines = report.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and lines[3].startswith("3,4,failed,,x@example.com,missing,last_name")
    journal = Path(f"{report}.journal").read_text(encoding="utf-8").splitlines()
    assert json.loads(journal[-1])["finished"]


def test_import_of_all_good_rows_exits_0(invoke, write, rsps, contact) -> None:
    rsps.post(f"{BASE}/v2/contacts", json=contact(1))
    path = write("in.csv", GOOD)
    code, out, _ = invoke("import", "contacts", path, "--rate", "0", "--token", TOKEN,
                          "--base-url", BASE)
    assert code == 0 and "2 created" in out


def test_resume_command_never_shows_the_token() -> None:
    command = resume_command({"resource": "contacts", "file": "my people.csv", "key": "email",
                              "concurrency": 8, "rate": 10.0, "report": None, "maps": ("a=b",),
                              "token": TOKEN, "base_url": None, "no_compare": False})
    assert command == ("basecrm-like import contacts 'my people.csv' --key email "
                       "--concurrency 8 --rate 10 --map a=b --resume")


def test_uncertain_rows_are_named_and_make_the_status_non_zero(invoke, write, rsps,
                                                               tmp_path) -> None:
    rsps.get(f"{BASE}/v2/contact/custom_fields", json={"items": []})
    rsps.post(f"{BASE}/v2/contacts", body="<html>hello</html>", content_type="text/html")
    path = write("in.csv", GOOD)
    args = ["import", "contacts", path, "--rate", "0", "--token", TOKEN, "--base-url", BASE]
    code, out, err = invoke(*args)
    assert code == 1, err
    assert "2 uncertain" in out and "0 created" in out
    assert "2 uncertain rows" in err and "row 1, line 2" in err and "not the API's JSON" in err
    # a resume sends neither again, and still says so
    code, out, err = invoke(*args, "--resume")
    calls = [c.request.method for c in rsps.calls if c.request.url.endswith("/contacts")]
    assert code == 1 and calls == ["POST", "POST"]
    assert "2 uncertain" in out and "2 uncertain rows" in err
