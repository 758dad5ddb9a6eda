"""`basecrm-like import` and `export` against the mock server over loopback.

Faults (500/502/503, dropped connections, latency) are seeded, so a failure
reproduces. Rates are high (300 requests/s) to keep the suite fast; the
10-per-second measurement lives in benchmarks/bulk_import.py.
"""
from __future__ import annotations

import csv
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

import basecrm_like
from basecrm_like.cli import cli
from basecrm_like.mock import serve

FAULTS = "error=0.1,drop=0.05,latency=0.01"
ROWS = 2000
#: rows for the lookup strategies other than the default: enough to cross several lookup
#: batches (a search takes 200 keys), journal flushes and a kill, at a fraction of the time
FEWER_ROWS = 300
#: the fault and kill tests run with every lookup strategy; ``auto`` (the default) imports
#: the full file
LOOKUPS = [pytest.param("auto", ROWS, id="auto"),
           *(pytest.param(name, FEWER_ROWS, id=name) for name in ("prefetch", "search", "none"))]
RATE = "300"
#: threads sleeping through retries leave others to work
CONCURRENCY = "16"


def people_csv(path: Path, n: int, start: int = 0) -> str:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["first_name", "last_name", "email", "tags", "address.city",
                    "custom_fields.external_id", "is_organization"])
        for i in range(start, start + n):
            w.writerow([f"First{i}", f"Last{i}", f"person{i}@example.com", "import;test",
                        "Lisbon", f"ext-{i}", "false"])
    return str(path)


def counting_client(server: Any) -> basecrm_like.Client:
    """A client patient enough to count records on a faulty server."""
    return basecrm_like.Client(access_token=server.token, base_url=server.url, max_retries=10,
                               backoff_factor=0.01)


def contacts_on(server: Any) -> list[Any]:
    """Every contact, page by page, each page retried through injected 500s."""
    client = counting_client(server)
    out: list[Any] = []
    for page in range(1, 1000):
        for _ in range(20):
            try:
                items = client.contacts.list(page=page, per_page=100, sort_by="id")
                break
            except basecrm_like.ServerError:
                continue
        else:
            raise AssertionError("the server kept failing")
        out += items
        if len(items) < 100:
            return out
    raise AssertionError("too many pages")


def request_log(server: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = requests.get(f"{server.url}/_mock/requests", timeout=30).json()["items"]
    return items


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))



@pytest.fixture
def faulty() -> Iterator[Any]:
    with serve(rate_limit=300, faults=FAULTS, fault_seed=7, seed=10) as server:
        yield server


def check_all_imported(server: Any, before: int, report: Path, rows: int = ROWS) -> Counter[str]:
    """Exactly one record per key, and a report line (with the record's id) per row."""
    after = contacts_on(server)
    ours = [c for c in after if (c.email or "").startswith("person")]
    assert len(after) - before == rows
    assert len({c.email for c in ours}) == rows == len(ours)
    lines = report_rows(report)
    assert [int(r["row"]) for r in lines] == list(range(1, rows + 1))
    assert all(r["id"] for r in lines)
    return Counter(r["status"] for r in lines)


@pytest.mark.slow
@pytest.mark.parametrize(("lookup", "rows"), LOOKUPS)
def test_import_with_a_key_survives_faults_without_duplicates(
        faulty: Any, tmp_path: Path, lookup: str, rows: int) -> None:
    before = len(contacts_on(faulty))
    source = people_csv(tmp_path / "people.csv", rows)
    report = tmp_path / "report.csv"
    args = ["import", "contacts", source, "--key", "email", "--lookup", lookup, "--rate", RATE,
            "--concurrency", CONCURRENCY, "--report", str(report), "--token", faulty.token,
            "--base-url", faulty.url, "--no-progress"]
    code, out, err = invoke(*args)
    assert code == 0, err + out
    assert f"{rows} rows: {rows} created" in out
    assert f"lookup {'no lookup' if lookup == 'none' else lookup}" in err or lookup == "auto"
    statuses = check_all_imported(faulty, before, report, rows)
    assert statuses == {"created": rows}
    log = request_log(faulty)
    assert any(e["fault"] for e in log), "the faults were not exercised"
    # a rerun creates nothing; with a lookup it writes nothing, without one each row is upserted
    code, out, err = invoke(*args)
    assert code == 0, err + out
    statuses = check_all_imported(faulty, before, report, rows)
    if lookup == "none":
        assert set(statuses) <= {"created", "updated"}
    else:
        assert statuses == {"unchanged": rows}


@pytest.mark.slow
@pytest.mark.parametrize(("lookup", "rows"), LOOKUPS)
def test_a_killed_import_resumes_without_duplicates(faulty: Any, tmp_path: Path, lookup: str,
                                                    rows: int) -> None:
    before = len(contacts_on(faulty))
    source = people_csv(tmp_path / "people.csv", rows)
    report = tmp_path / "report.csv"
    journal = Path(f"{report}.journal")
    args = ["import", "contacts", source, "--key", "email", "--lookup", lookup, "--rate", RATE,
            "--concurrency", CONCURRENCY, "--report", str(report), "--base-url", faulty.url,
            "--no-progress"]
    env = {**os.environ, "BASECRM_ACCESS_TOKEN": faulty.token}
    kill_at = rows * 3 // 10
    proc = subprocess.Popen([sys.executable, "-c", "from basecrm_like.cli import main; main()",
                             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.read_text(encoding="utf-8").count('"r":') >= kill_at:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    done_before = journal.read_text(encoding="utf-8").count('"r":')
    assert kill_at <= done_before < rows
    code, out, err = invoke(*args, "--resume", "--token", faulty.token)
    assert code == 0, err + out
    statuses = check_all_imported(faulty, before, report, rows)
    # rows in flight at the kill were created but not journaled: the resume finds them (or,
    # without a lookup, upserts them onto the record they made)
    assert set(statuses) <= {"created", "updated", "unchanged"}
    assert statuses["updated"] + statuses["unchanged"] <= 32
    if lookup in ("auto", "prefetch"):
        assert statuses["updated"] == 0
    assert f"({done_before} from the journal)" in out or done_before == 0


def test_bad_rows_are_reported_and_the_rest_imported(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    big = "x" * (10 * 1024 * 1024)
    source.write_text(
        "first_name,last_name,email,is_organization,customer_status,nickname,description\n"
        "Good,One,good1@example.com,false,,,\n"            # 1
        "Bad,Bool,bb@example.com,maybe,,,\n"               # 2 bad boolean
        "Bad,Enum,be@example.com,,vip,,\n"                 # 3 value not in the enum
        "NoLast,,nl@example.com,,,,\n"                      # 4 missing last_name
        "Un,Known,uk@example.com,,,hello,\n"               # 5 unknown column with a value
        "Too,Many,tm@example.com,,,,,extra\n"              # 6 wrong number of cells
        'Big,Field,big@example.com,,,,' + big + "\n"       # 7 10 MB: the API refuses it
        'Bro,"ken,bq@example.com,,,,\n'                    # 8 broken quoting
        "Good,Two,good2@example.com,,,,\n",                # 9
        encoding="utf-8")
    report = tmp_path / "report.csv"
    with serve(seed=0) as server:
        code, out, err = invoke("import", "contacts", str(source), "--key", "email", "--rate",
                                "0", "--report", str(report), "--token", server.token,
                                "--base-url", server.url, "--no-progress")
        emails = sorted(c.email for c in contacts_on(server) if c.email)
    assert code == 1, err
    rows = report_rows(report)
    assert [(r["row"], r["status"], r["error_code"]) for r in rows] == [
        ("1", "created", ""), ("2", "failed", "invalid_value"), ("3", "failed", "invalid_value"),
        ("4", "failed", "missing"), ("5", "failed", "unknown_column"),
        ("6", "failed", "wrong_cell_count"), ("7", "failed", "request_too_large"),
        ("8", "failed", "broken_quoting"), ("9", "created", "")]
    assert emails == ["good1@example.com", "good2@example.com"]
    assert "2 created" in out and "7 failed" in out


def test_no_429_at_the_servers_limit(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 25)
    with serve(rate_limit=10, seed=0) as server:
        requests.delete(f"{server.url}/_mock/requests", timeout=10)
        code, out, err = invoke("import", "contacts", source, "--key", "email", "--rate", "10",
                                "--token", server.token, "--base-url", server.url,
                                "--no-progress")
        log = request_log(server)
    assert code == 0, err
    statuses = Counter(e["status"] for e in log)
    # one request per row, plus the custom field definitions and one page of prefetch
    assert statuses[429] == 0 and statuses[200] == 25 + 2


def test_an_unthrottled_import_is_slowed_by_429s_but_loses_no_row(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 60)
    with serve(rate_limit=30, seed=0) as server:
        code, out, err = invoke("import", "contacts", source, "--rate", "0", "--concurrency",
                                "8", "--token", server.token, "--base-url", server.url,
                                "--no-progress")
        log = request_log(server)
        count = len(contacts_on(server))
    assert code == 0, err
    assert "60 created" in out and count == 60
    assert Counter(e["status"] for e in log)[429] > 0


def test_export_then_import_round_trip_changes_nothing(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 30)
    exported = tmp_path / "export.csv"
    with serve(seed=0) as server:
        common = ["--token", server.token, "--base-url", server.url]
        code, _, err = invoke("import", "contacts", source, "--key", "email", "--rate", "0",
                              "--no-progress", *common)
        assert code == 0, err
        code, _, err = invoke("export", "contacts", "-o", str(exported), "--rate", "0",
                              "--filter", "address.city=Lisbon", *common)
        assert code == 0, err
        code, out, err = invoke("import", "contacts", str(exported), "--key", "email",
                                "--rate", "0", "--no-progress", *common)
        jsonl = tmp_path / "export.jsonl"
        code2, _, _ = invoke("export", "contacts", "--format", "jsonl", "-o", str(jsonl), *common)
    assert code == 0, err
    assert "30 rows: 0 created, 0 updated, 30 unchanged" in out
    assert code2 == 0 and len(jsonl.read_text(encoding="utf-8").splitlines()) == 30
    first = json.loads(jsonl.read_text(encoding="utf-8").splitlines()[0])
    assert first["custom_fields"]["external_id"].startswith("ext-")


def test_ctrl_c_stops_after_rows_in_flight_and_prints_the_resume_command(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 400)
    report = tmp_path / "report.csv"
    with serve(seed=0) as server:
        env = {**os.environ, "BASECRM_ACCESS_TOKEN": server.token}
        args = ["import", "contacts", source, "--key", "email", "--rate", "200", "--report",
                str(report), "--base-url", server.url, "--no-progress"]
        proc = subprocess.Popen([sys.executable, "-c",
                                 "from basecrm_like.cli import main; main()", *args],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        journal = Path(f"{report}.journal")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                journal.exists() and journal.read_text(encoding="utf-8").count('"r":') >= 20):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        command = err.strip().splitlines()[-1].strip()
        assert command.startswith("basecrm-like import contacts") and command.endswith("--resume")
        assert "--token" not in command and server.token not in err + out
        stopped = int(out.split(" rows")[0])
        assert 20 <= stopped < 400 and len(report_rows(report)) == stopped
        code, out, err = invoke(*shlex.split(command)[1:], "--no-progress", "--token", server.token)
        assert code == 0, err
        assert "400 rows: 400 created" in out and f"({stopped} from the journal)" in out
        assert len(contacts_on(server)) == 400
