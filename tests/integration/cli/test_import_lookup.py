"""Keyed imports against the mock: what a rerun costs, fail-fast stops, uncertain rows, locks."""
from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

import basecrm_like
from basecrm_like.mock import serve

from .test_import_ import invoke, people_csv, report_rows, request_log


def rerun_with_changes(server: Any, source: str, args: list[str], count: int,
                       step: int) -> tuple[int, str, str, list[dict[str, Any]]]:
    """Move ``count`` rows (every ``step``-th) to Porto, import again: the answer and its log."""
    lines = Path(source).read_text(encoding="utf-8").splitlines()
    for i in range(1, count + 1):
        lines[i * step] = lines[i * step].replace("Lisbon", "Porto")
    Path(source).write_text("\n".join(lines) + "\n", encoding="utf-8")
    requests.delete(f"{server.url}/_mock/requests", timeout=10)
    code, out, err = invoke(*args)
    return code, out, err, request_log(server)


def test_a_rerun_sends_nothing_for_unchanged_rows_and_one_write_per_changed_row(
        tmp_path: Path) -> None:
    rows = 250
    source = people_csv(tmp_path / "people.csv", rows)
    with serve(seed=0) as server:
        args = ["import", "contacts", source, "--key", "email", "--rate", "0", "--token",
                server.token, "--base-url", server.url, "--no-progress"]
        code, out, err = invoke(*args)
        assert code == 0, err
        assert "lookup prefetch: 0 existing records" in err
        requests.delete(f"{server.url}/_mock/requests", timeout=10)
        code, out, err = invoke(*args)
        rerun = request_log(server)
        assert code == 0, err
        assert f"{rows} rows: 0 created, 0 updated, {rows} unchanged" in out
        assert len(rerun) <= rows / 100 + 5, [(e["method"], e["path"]) for e in rerun]
        # reads only: the one POST is the Search v3 count that weighs search against the walk
        assert all(e["method"] == "GET" or e["path"] == "/v3/contacts/search" for e in rerun)
        # change 20 rows: 20 updates by id, plus the lookups
        code, out, err, changed = rerun_with_changes(server, source, args, 20, 10)
    assert code == 0, err
    assert f"0 created, 20 updated, {rows - 20} unchanged" in out
    writes = Counter(e["method"] for e in changed
                     if e["method"] != "GET" and e["path"] != "/v3/contacts/search")
    assert writes == {"PUT": 20}
    assert len(changed) - 20 <= rows / 100 + 5


def test_no_compare_is_lookup_none(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 5)
    with serve(seed=0) as server:
        for flags in (["--no-compare"], ["--lookup", "none"]):
            requests.delete(f"{server.url}/_mock/requests", timeout=10)
            code, out, err = invoke("import", "contacts", source, "--key", "email", "--rate", "0",
                                    "--token", server.token, "--base-url", server.url,
                                    "--no-progress", *flags)
            assert code == 0, err
            assert "lookup no lookup" in err
            paths = [e["path"] for e in request_log(server)]
            assert sum(p.endswith("/upsert") for p in paths) == 5
        search = ["import", "contacts", source, "--key", "email", "--lookup", "search",
                  "--token", server.token, "--base-url", server.url, "--no-progress"]
        requests.delete(f"{server.url}/_mock/requests", timeout=10)
        code, out, err = invoke(*search)
        paths = [e["path"] for e in request_log(server)]
        assert code == 0 and "lookup search" in err, err
        # every column is a defined field, which Search v3 projects: nothing to write
        assert paths.count("/v3/contacts/search") == 1 and "/v2/contacts" not in paths
        assert "0 created, 0 updated, 5 unchanged" in out
        # a custom field without a definition is invisible to Search v3: its rows are written
        lines = Path(source).read_text(encoding="utf-8").splitlines()
        Path(source).write_text("".join(f"{line},{'undefined' if n else 'custom_fields.x'}\n"
                                        for n, line in enumerate(lines)), encoding="utf-8")
        code, out, err = invoke(*search)
    assert code == 0, err
    assert "0 created, 5 updated" in out


def test_a_wrong_token_stops_a_large_import_at_once_with_status_2(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 1000)
    report = tmp_path / "report.csv"
    with serve(seed=0) as server:
        requests.delete(f"{server.url}/_mock/requests", timeout=10)
        code, out, err = invoke("import", "contacts", source, "--rate", "0", "--token", "0" * 64,
                                "--base-url", server.url, "--no-progress", "--report",
                                str(report))
        log = request_log(server)
        assert code == 2, err
        assert "401" in err and "--token" in err and "--resume" in err
        assert len(log) <= 4 * 8 + 2, len(log)
        # after the fix the journal resumes, and every row is created once
        code, out, err = invoke("import", "contacts", source, "--rate", "0", "--token",
                                server.token, "--base-url", server.url, "--no-progress",
                                "--report", str(report), "--resume")
        assert code == 0, err
        assert "1000 rows: 1000 created" in out


def test_a_base_url_that_is_not_the_api_stops_the_run(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 50)
    with serve(seed=0) as server:
        code, out, err = invoke("import", "contacts", source, "--key", "email", "--token",
                                server.token, "--base-url", server.url + "/nothing",
                                "--no-progress", "--rate", "0")
    assert code == 2 and "404" in err and "--base-url" in err


def test_an_unreachable_server_stops_after_the_first_connections_retries(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = people_csv(tmp_path / "people.csv", 500)
    report = tmp_path / "report.csv"
    code, out, err = invoke("import", "contacts", source, "--token", "0" * 64, "--base-url",
                            f"http://127.0.0.1:{port}", "--no-progress", "--rate", "0",
                            "--report", str(report))
    assert code == 2 and "cannot connect" in err
    assert len(report_rows(report)) < 100


def test_a_second_run_on_the_same_journal_is_refused(tmp_path: Path) -> None:
    source = people_csv(tmp_path / "people.csv", 200)
    report = tmp_path / "report.csv"
    journal = Path(f"{report}.journal")
    with serve(seed=0) as server:
        args = ["import", "contacts", source, "--rate", "20", "--report", str(report),
                "--base-url", server.url, "--no-progress", "--token", server.token]
        first = subprocess.Popen([sys.executable, "-c", "from basecrm_like.cli import main; main()",
                                  *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=dict(os.environ))
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                    journal.exists() and '"r":' in journal.read_text(encoding="utf-8")):
                time.sleep(0.05)
            code, out, err = invoke(*args, "--resume")
            assert code == 2 and "another import is running" in err, err
        finally:
            first.kill()
            first.communicate()


def test_custom_field_values_are_checked_against_the_accounts_definitions(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["last_name", "email", "custom_fields.Segment"])
        w.writerow(["Good", "good@example.com", "SMB"])
        w.writerow(["Bad", "bad@example.com", "Huge"])
    report = tmp_path / "report.csv"
    with serve() as server:
        code, out, err = invoke("import", "contacts", str(source), "--key", "email", "--token",
                                server.token, "--base-url", server.url, "--no-progress",
                                "--rate", "0", "--report", str(report))
    rows = report_rows(report)
    assert code == 1
    assert [r["status"] for r in rows] == ["created", "failed"]
    assert rows[1]["error_field"] == "custom_fields.Segment" and "list" in rows[1]["message"]


def test_lookup_search_costs_a_search_per_200_rows_and_no_write_on_a_rerun(
        tmp_path: Path) -> None:
    rows = 450
    # Search v3 sees only defined custom fields: the sample's undefined external_id is left out
    lines = Path(people_csv(tmp_path / "all.csv", rows)).read_text(encoding="utf-8").splitlines()
    source = str(tmp_path / "people.csv")
    Path(source).write_text("".join(",".join(line.split(",")[:5] + line.split(",")[6:]) + "\n"
                                    for line in lines), encoding="utf-8")
    with serve(seed=0) as server:
        args = ["import", "contacts", source, "--key", "email", "--rate", "0", "--token",
                server.token, "--base-url", server.url, "--no-progress", "--lookup", "search"]
        code, out, err = invoke(*args)
        assert code == 0, err
        assert "lookup search: batched key lookups through Search v3" in err
        assert f"{rows} rows: {rows} created" in out
        requests.delete(f"{server.url}/_mock/requests", timeout=10)
        code, out, err = invoke(*args)
        rerun = request_log(server)
        assert code == 0, err
        assert f"{rows} rows: 0 created, 0 updated, {rows} unchanged" in out
        searches = [e for e in rerun if e["path"] == "/v3/contacts/search"]
        assert len(searches) == -(-rows // 200), [(e["method"], e["path"]) for e in rerun]
        # besides the searches: the custom field definitions (v2 for types, v3 for search ids)
        others = [(e["method"], e["path"]) for e in rerun if e not in searches]
        assert all(method == "GET" and path.endswith("/custom_fields")
                   for method, path in others), others
        assert len(rerun) <= rows / 200 + 3
        # change 10 rows: 10 updates by id, plus the same searches
        code, out, err, changed = rerun_with_changes(server, source, args, 10, 40)
    assert code == 0, err
    assert f"0 created, 10 updated, {rows - 10} unchanged" in out
    assert Counter(e["method"] for e in changed if e["method"] != "GET"
                   and not e["path"].endswith("/search")) == {"PUT": 10}


def test_auto_picks_search_when_reading_the_account_costs_more(tmp_path: Path) -> None:
    with serve(seed=0) as server:
        client = basecrm_like.Client(access_token=server.token, base_url=server.url)
        client.bulk.import_records("contacts", ({"last_name": f"L{i}", "email": f"x{i}@y.z"}
                                                for i in range(450)), rate=0)
        plans: list[Any] = []
        summary = client.bulk.import_records(
            "contacts", [{"last_name": "L1", "email": "x1@y.z"}], key="email", rate=0,
            expected_rows=1, on_plan=plans.append)
    assert plans[0].strategy == "search" and "3 Search v3 requests to read" in plans[0].reason
    assert plans[0].requests == 2       # a v2 page, then the first page of the Search v3 walk
    assert summary.counts["unchanged"] == 1 and summary.lookup == "search"
