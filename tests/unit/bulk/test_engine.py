"""The import engine over a fake API served by ``responses``: statuses, retries, order, resume."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import basecrm_like
from basecrm_like.bulk import Importer, InputRow, Journal, RowResult

from .conftest import people


def importer(client: basecrm_like.Client, **kw: Any) -> Importer:
    kw.setdefault("backoff", 0.001)
    return Importer("contacts", client.contacts, **kw)


def run(imp: Importer, rows: Any) -> tuple[Any, list[RowResult]]:
    results: list[RowResult] = []
    return imp.run(rows, results.append), results


# -- statuses ---------------------------------------------------------------------------
def test_without_key_every_row_is_created_in_input_order(client, api) -> None:
    api.delay = 0.01
    summary, results = run(importer(client, concurrency=8), people(40))
    assert [r.row for r in results] == list(range(1, 41))
    assert all(r.status == "created" and r.id for r in results)
    assert summary.counts["created"] == 40 and summary.ok and api.count("create") == 40


def test_with_key_created_unchanged_updated(client, api) -> None:
    run(importer(client, key="email"), people(3))
    assert api.count("upsert") == 3
    rows = people(3)
    rows[1]["first_name"] = "Changed"
    summary, results = run(importer(client, key="email"), rows)
    assert [r.status for r in results] == ["unchanged", "updated", "unchanged"]
    assert api.count("upsert") == 4 and len(api.records) == 3
    assert results[1].id == next(r["id"] for r in api.records if r["email"] == "p1@example.com")
    assert results[0].key == "p0@example.com"


def test_without_compare_the_status_comes_from_the_timestamps(client, api) -> None:
    _, first = run(importer(client, key="email", compare=False), people(2))
    _, second = run(importer(client, key="email", compare=False), people(2))
    assert [r.status for r in first] == ["created", "created"]
    assert [r.status for r in second] == ["updated", "updated"]
    assert api.count("list") == 0


def test_a_key_matching_several_records_fails_the_row(client, api) -> None:
    api.records += [{"id": 1, "email": "a@b.c"}, {"id": 2, "email": "a@b.c"}]
    _, [result] = run(importer(client, key="email"), [{"last_name": "L", "email": "a@b.c"}])
    assert result.status == "failed" and result.error_code == "ambiguous_key"


def test_required_attributes_are_checked_when_the_row_would_create(client, api) -> None:
    api.records.append({"id": 1, "email": "a@b.c", "last_name": "Old", "phone": "1"})
    rows = [{"email": "a@b.c", "phone": "2"}, {"email": "new@b.c", "phone": "3"}]
    _, results = run(importer(client, key="email"), rows)
    assert results[0].status == "updated"
    assert results[1].status == "failed" and results[1].error_field == "last_name"


def test_api_validation_errors_are_reported_with_code_and_field(client, api) -> None:
    _, results = run(importer(client), [{"last_name": "REJECT"}, {"last_name": "ok"}])
    assert (results[0].status, results[0].error_code, results[0].error_field) == \
        ("failed", "blank", "/last_name")
    assert results[1].status == "created"


def test_bad_rows_fail_without_stopping_the_rest(client, api) -> None:
    rows = [{"last_name": "A", "is_organization": "perhaps"}, {"first_name": "NoLast"},
            {"last_name": "B", "shoe_size": "9"}, {"last_name": "C"}, InputRow(5, {"last_name": "E"})]
    summary, results = run(importer(client), rows)
    assert [r.status for r in results] == ["failed", "failed", "failed", "created", "created"]
    assert [r.error_code for r in results[:3]] == ["invalid_value", "missing", "unknown_column"]
    assert api.count("create") == 2 and summary.counts["failed"] == 3


# -- retries ----------------------------------------------------------------------------
def test_a_rate_limited_row_is_retried_not_failed(client, api) -> None:
    api.fail = {("create", 1): 429, ("create", 2): 429}
    _, [result] = run(importer(client), people(1))
    assert result.status == "created" and result.attempts == 3


def test_server_errors_are_retried_when_a_key_makes_it_safe(client, api) -> None:
    api.fail = {("upsert", 1): 500, ("list", 1): 503, ("upsert", 2): 502}
    _, [result] = run(importer(client, key="email"), people(1))
    assert result.status == "created" and len(api.records) == 1


def test_a_create_that_may_have_happened_is_not_repeated(client, api) -> None:
    api.fail = {("create", 1): 500}
    _, [result] = run(importer(client), people(1))
    assert result.status == "uncertain" and result.uncertain and api.count("create") == 1
    assert "--key" in (result.message or "")


def test_retries_are_bounded(client, api) -> None:
    api.fail = {("upsert", n): 500 for n in range(1, 10)}
    _, [result] = run(importer(client, key="email", max_attempts=3, compare=False), people(1))
    assert result.status == "failed" and result.error_code == "server_error"
    assert "3 attempts" in (result.message or "") and api.count("upsert") == 3


# -- concurrency ------------------------------------------------------------------------
def test_rows_are_read_lazily_within_a_bounded_window(client, api) -> None:
    api.delay = 0.002
    read = [0]
    emitted = [0]
    widest = [0]

    def rows() -> Iterator[dict[str, str]]:
        for row in people(300):
            read[0] += 1
            widest[0] = max(widest[0], read[0] - emitted[0])
            yield row

    def count(_: RowResult) -> None:
        emitted[0] += 1

    imp = importer(client, concurrency=4, window=16)
    imp.run(rows(), count)
    assert emitted[0] == 300 and widest[0] <= 17


def test_rows_with_the_same_key_do_not_race(client, api) -> None:
    api.delay = 0.01
    rows = [{"last_name": f"L{i}", "email": "same@example.com"} for i in range(6)]
    _, results = run(importer(client, key="email", concurrency=6), rows)
    assert len(api.records) == 1
    assert [r.status for r in results].count("created") == 1


def test_stop_finishes_rows_in_flight_and_reports_interrupted(client, api) -> None:
    imp = importer(client, concurrency=2)

    def on_result(result: RowResult) -> None:
        if result.row == 5:
            imp.stop()

    summary = imp.run(people(100), on_result)
    assert summary.interrupted and 5 <= summary.rows < 100
    assert api.count("create") <= summary.rows + imp.window


# -- journal and resume -----------------------------------------------------------------
def test_resume_skips_finished_rows(client, api, tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    imp = importer(client, key="email", journal=Journal(path, {"resource": "contacts",
                                                              "key": "email"}))
    imp.stop_event.set()          # stops after the first row
    first = imp.run(people(10))
    assert first.interrupted and first.rows == 1
    journal = Journal(path, {"resource": "contacts", "key": "email"}, resume=True)
    summary, results = run(importer(client, key="email", journal=journal), people(10))
    assert summary.rows == 10 and summary.resumed == 1
    assert results[0].from_journal and results[0].status == "created"
    assert len(api.records) == 10 and api.count("upsert") == 10


def test_resume_without_key_skips_rows_that_may_exist(client, api, tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    meta = {"resource": "contacts", "key": None}
    with Journal(path, meta) as j:
        j.pending(1, InputRow(1, people(1)[0]).fingerprint)   # killed while creating row 1
    summary, results = run(importer(client, journal=Journal(path, meta, resume=True)), people(2))
    assert results[0].status == "uncertain" and results[0].uncertain
    assert results[1].status == "created" and api.count("create") == 1


# -- dry run and configuration ----------------------------------------------------------
def test_dry_run_sends_nothing(api) -> None:
    imp = Importer("contacts", None, key="email")
    summary, results = run(imp, people(2) + [{"email": "x@y.z"}, {"last_name": "NoKey"}])
    assert [r.status for r in results] == ["valid", "valid", "failed", "failed"]
    assert results[3].error_code == "missing_key"
    assert api.calls == [] and summary.dry_run and "2 valid" in summary.line()


@pytest.mark.parametrize("resource,key,message", [
    ("contacts", "title", "cannot use 'title'"),
    ("contacts", "address.planet", "cannot use"),
    ("products", "sku", "upsert"),
])
def test_keys_must_be_upsert_filters(resource: str, key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Importer(resource, None, key=key)


def test_keys_may_be_custom_fields_or_address_parts() -> None:
    assert Importer("contacts", None, key="custom_fields.external_id")._key_path == (
        "custom_fields", "external_id")
    assert Importer("leads", None, key="address.city")._key_path == ("address", "city")

