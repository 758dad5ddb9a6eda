"""Errors no row can survive stop the run; answers that may hide a write make rows uncertain."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from basecrm_like.bulk import Importer, ImportStopped, Journal, JournalError, RowResult

from .conftest import people


def run(client: Any, rows: Any, **kw: Any) -> tuple[Any, list[RowResult]]:
    results: list[RowResult] = []
    kw.setdefault("rate", 0)
    summary = client.bulk.import_records("contacts", rows, on_result=results.append, **kw)
    return summary, results


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refused_token_or_a_wrong_url_stops_the_run(client, api, status, tmp_path) -> None:
    api.fail = {("create", 0): status}
    journal = str(tmp_path / "j")
    with pytest.raises(ImportStopped, match=str(status)) as stopped:
        run(client, people(400), journal=journal)
    sent = api.count("create")
    assert sent <= 4 * 8 + 1, f"{sent} requests after the first {status}"
    assert stopped.value.summary.rows < 400
    if status != 401:
        return
    # after the fix the same journal resumes, and every row is created exactly once
    api.fail = {}
    summary, results = run(client, people(400), journal=journal, resume=True)
    assert summary.counts["created"] == 400 and len(api.records) == 400
    assert len({r["email"] for r in api.records}) == 400


def test_a_404_on_one_record_fails_only_its_row(client, api) -> None:
    client.bulk.import_records("contacts", people(2), key="email", rate=0)
    api.fail = {("update", 1): 404, ("upsert", 1): 422}
    rows = people(2)
    rows[0]["first_name"] = rows[1]["first_name"] = "Changed"
    summary, results = run(client, rows, key="email")
    assert sorted(r.status for r in results) == ["failed", "updated"]


def test_row_level_errors_do_not_stop_the_run(client, api) -> None:
    api.fail = {("create", 1): 422, ("create", 3): 422}
    summary, results = run(client, people(10))
    assert summary.failed == 2 and summary.counts["created"] == 8


def test_a_success_that_is_not_the_apis_json_makes_the_row_uncertain(client, api, tmp_path) -> None:
    api.fail = {("create", 1): 200}
    journal = str(tmp_path / "j")
    summary, results = run(client, people(1), journal=journal)
    assert results[0].status == "uncertain" and results[0].uncertain
    assert summary.uncertain == 1 and not summary.ok and "1 uncertain" in summary.line()
    # a keyless resume never sends it again
    api.fail = {}
    with pytest.raises(JournalError):
        run(client, people(1), journal=journal)
    summary, results = run(client, people(1), journal=journal, resume=True)
    assert results[0].status == "uncertain" and results[0].uncertain and api.count("create") == 1
    assert not summary.ok and summary.unsettled == results


def test_a_cut_answer_to_a_create_is_uncertain_and_never_repeated(client, api) -> None:
    api.fail = {("create", 1): -1}
    summary, results = run(client, people(1))
    assert results[0].status == "uncertain" and results[0].error_code == "connection_lost"
    assert api.count("create") == 1 and len(api.records) == 1


def test_a_cut_answer_to_a_keyed_write_is_retried(client, api) -> None:
    api.fail = {("upsert", 1): -1}
    summary, results = run(client, people(1), key="email", lookup="none", max_attempts=3)
    assert results[0].status == "updated" and len(api.records) == 1


def test_a_second_run_cannot_take_the_journal(tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    with Journal(path, {"resource": "contacts", "key": None}):
        with pytest.raises(JournalError, match="another import is running"):
            Journal(path, {"resource": "contacts", "key": None}, resume=True)
    Journal(path, {"resource": "contacts", "key": None}, resume=True).close()


def test_a_row_waiting_to_retry_leaves_its_slot_to_other_rows(client, api) -> None:
    api.fail = {("upsert", 1): 503}
    importer = Importer("contacts", client.contacts, key="email", compare=False, concurrency=1,
                        backoff=0.4)
    done = threading.Event()
    importer.run(people(6), lambda r: done.set() if r.row == 6 else None)
    emails = [url for what, url in api.calls if what == "upsert"]
    retried = [i for i, url in enumerate(emails) if "p0%40example.com" in url]
    last_row = next(i for i, url in enumerate(emails) if "p5%40example.com" in url)
    assert len(retried) == 2 and last_row < retried[1], emails


def test_a_lookup_page_that_is_not_the_apis_json_falls_back_to_upserts(client, api) -> None:
    api.fail = {("list", 1): 200}
    summary, results = run(client, people(2), key="email")
    assert summary.lookup == "none" and summary.counts["created"] == 2
    assert api.count("upsert") == 2
