"""Key lookups: the prefetched index, the strategy choice, and what each row then costs."""
from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from munch import Munch

from basecrm_like.bulk import Importer, LookupUnavailable, PrefetchIndex, plan_lookup
from basecrm_like.bulk.lookup import PAGE_SIZE, LookupFailed, SearchLookup, search_key

from .conftest import people


class Pages:
    """A collection of ``n`` contacts served 100 per page, counting the pages asked for."""

    def __init__(self, n: int) -> None:
        self.records = [Munch(id=i + 1, email=f"p{i}@example.com") for i in range(n)]
        self.asked: list[int] = []

    def list(self, page: int, per_page: int, sort_by: str) -> list[Munch]:
        assert sort_by == "id"
        self.asked.append(page)
        return self.records[(page - 1) * per_page:page * per_page]


def direct(fn: Any) -> Any:
    return fn()


def test_the_index_finds_records_by_key_and_reports_a_shared_key_twice(tmp_path) -> None:
    index = PrefetchIndex("custom_fields.external_id", str(tmp_path))
    try:
        index.add([{"id": 1, "custom_fields": {"external_id": "a"}},
                   {"id": 2, "custom_fields": {"external_id": "b"}},
                   {"id": 3, "custom_fields": {"external_id": "b"}},
                   {"id": 1, "custom_fields": {"external_id": "a"}},     # seen twice
                   {"id": 4, "custom_fields": {}}])
        found = index.find(["a", "b", "c"])
        assert [r["id"] for r in found["a"]] == [1]
        assert sorted(r["id"] for r in found["b"]) == [2, 3]
        assert "c" not in found and index.records == 4
    finally:
        index.close()
    assert not any(tmp_path.iterdir()), "the temporary index file is removed"


@pytest.mark.parametrize("records", [0, 99, 100, 2000, 2050])
def test_prefetch_reads_every_page_once(records: int) -> None:
    pages = Pages(records)
    plan = plan_lookup("auto", pages, "email", direct, expected_rows=2000)
    assert plan.strategy == "prefetch" and plan.lookup is not None
    try:
        assert len(pages.asked) == len(set(pages.asked)), "no page is read twice"
        assert plan.lookup.find([f"p{records - 1}@example.com"]) or records == 0
        # every page, at most one empty page past the end, and at most one probe beyond
        assert len(pages.asked) <= records // PAGE_SIZE + 3
    finally:
        plan.lookup.close()


def test_a_server_that_ignores_the_page_number_does_not_loop_the_prefetch() -> None:
    class SamePage(Pages):
        def list(self, page: int, per_page: int, sort_by: str) -> list[Munch]:
            self.asked.append(page)
            return self.records[:per_page]

    pages = SamePage(500)
    with pytest.raises(LookupFailed, match="repeated"):
        plan_lookup("prefetch", pages, "email", direct)
    assert pages.asked == [1, 2]


def test_auto_gives_up_the_prefetch_when_it_costs_more_than_the_rows() -> None:
    pages = Pages(5000)
    plan = plan_lookup("auto", pages, "email", direct, expected_rows=10)
    assert plan.strategy == "none" and plan.lookup is None
    assert len(pages.asked) <= 5 and "one upsert per row" in plan.reason


class FakeSearch:
    """The shape of ``client.search`` over ``records`` (v3 shape), counting the pages sent."""

    def __init__(self, records: list[dict[str, Any]], page_size: int = 200) -> None:
        self.records = records
        self.page_size = page_size
        self.queries: list[dict[str, Any]] = []

    def custom_fields(self, resource: str) -> dict[str, str]:
        return {"Tier": "custom_fields.7"}

    def query(self, resource: str, where: Any = None, **options: Any) -> Any:
        search = self

        class Query:
            def count(self) -> int:
                search.queries.append({"count": True})
                return len(search.records)

            def page(self, cursor: str | None = None) -> Any:
                if where is None:          # a walk over every record
                    search.queries.append({"walk": True, "options": options})
                    hits = search.records
                else:
                    wire = where.to_wire()["filter"]
                    name, values = wire["attribute"]["name"], wire["parameter"]["any"]
                    search.queries.append({"name": name, "values": values, "options": options})
                    hits = [r for r in search.records if str(_dig(r, name)) in values]
                start = int(cursor or 0)
                items = [Munch(r) for r in hits[start:start + search.page_size]]
                more = start + search.page_size < len(hits)
                return SimpleNamespace(items=items, total_count=len(hits),
                             next_cursor=str(start + search.page_size) if more else None)
        return Query()


def _dig(record: dict[str, Any], name: str) -> Any:
    for part in name.split("."):
        record = record.get(part) if isinstance(record, dict) else None  # type: ignore[assignment]
    return record


def test_search_is_refused_where_search_v3_cannot_look_the_key_up() -> None:
    with pytest.raises(LookupUnavailable, match="prefetch"):
        plan_lookup("search", Pages(0), "email", direct)            # no search service
    with pytest.raises(LookupUnavailable, match="prefetch"):
        plan_lookup("search", Pages(0), "email", direct, search=FakeSearch([]),
                    resource="products")                          # not searchable by v3
    plan = plan_lookup("search", Pages(0), "email", direct, search=FakeSearch([]),
                       resource="contacts")
    assert plan.strategy == "search" and isinstance(plan.lookup, SearchLookup)
    assert search_key("deals", "value") == "decimal_value"
    assert search_key("deals", "stage_id") == "stage.id"
    assert search_key("contacts", "custom_fields.Tier") == "custom_fields.Tier"


def test_search_asks_at_most_200_keys_per_request_and_answers_in_the_v2_shape() -> None:
    records = [{"id": i, "name": f"d{i}", "decimal_value": "10", "stage": {"id": 5}}
               for i in range(1, 451)]
    search = FakeSearch(records)
    lookup = SearchLookup(search, "deals", "name", direct)
    found = lookup.find([f"d{i}" for i in range(1, 501)] + ["d1"])
    assert [len(q["values"]) for q in search.queries] == [200, 200, 100]
    assert {q["name"] for q in search.queries} == {"name"}
    assert lookup.requests == 3 and len(found) == 450 and "d451" not in found
    assert found["d7"] == [{"id": 7, "name": "d7", "value": "10", "stage_id": 5}]
    assert {"value", "stage_id", "custom_fields", "name"} <= lookup.fields
    assert "stage.id" in search.queries[0]["options"]["projection"]
    assert "custom_fields.Tier" in search.queries[0]["options"]["projection"]


def test_a_key_shared_by_many_records_follows_the_cursor_and_reports_each() -> None:
    search = FakeSearch([{"id": i, "email": "same@x.y"} for i in range(1, 6)], page_size=2)
    lookup = SearchLookup(search, "contacts", "email", direct)
    found = lookup.find(["same@x.y"])
    assert [r["id"] for r in found["same@x.y"]] == [1, 2, 3, 4, 5] and lookup.requests == 3


def test_auto_weighs_searches_against_reading_the_account() -> None:
    big = FakeSearch([{"id": i, "email": f"p{i}"} for i in range(1, 5001)])
    pages = Pages(5000)
    plan = plan_lookup("auto", pages, "email", direct, expected_rows=1000, search=big,
                       resource="contacts")
    # 5 searches against 24 more pages of the walk: a v2 page and a Search v3 page spent
    assert plan.strategy == "search" and plan.requests == 2 and "about 5" in plan.reason
    assert "25 Search v3 requests to read (200 per request)" in plan.reason
    assert pages.asked == [1] and [q.get("walk") for q in big.queries] == [True]
    small = FakeSearch([{"id": i, "email": f"p{i}"} for i in range(1, 301)])
    pages = Pages(300)
    plan = plan_lookup("auto", pages, "email", direct, expected_rows=1000, search=small,
                       resource="contacts")
    # the walk goes on through Search v3, 200 records per request
    assert plan.strategy == "prefetch" and pages.asked == [1] and len(small.queries) == 2
    assert plan.requests == 3 and plan.lookup is not None
    assert "(Search v3 projections, 200 per request)" in plan.reason
    assert plan.lookup.find(["p300"])["p300"][0]["id"] == 300
    plan.lookup.close()
    # an account of one page is read at once, not counted
    tiny = FakeSearch([])
    plan = plan_lookup("auto", Pages(40), "email", direct, expected_rows=1000, search=tiny,
                       resource="contacts")
    assert plan.strategy == "prefetch" and plan.requests == 1 and tiny.queries == []
    assert "(the v2 list, 100 per request)" in plan.reason
    assert plan.lookup is not None
    plan.lookup.close()


@pytest.mark.parametrize(("records", "searches"), [(0, 1), (199, 1), (200, 1), (1000, 5),
                                                   (1001, 6)])
def test_prefetch_walks_search_v3_at_200_records_a_request(records: int, searches: int) -> None:
    search = FakeSearch([{"id": i, "email": f"p{i}", "stage": {"id": 3}}
                         for i in range(1, records + 1)])
    pages = Pages(records)
    plan = plan_lookup("prefetch", pages, "email", direct, search=search, resource="contacts")
    assert plan.strategy == "prefetch" and plan.lookup is not None
    try:
        assert pages.asked == [] and len(search.queries) == plan.requests == searches
        assert all(q["options"]["per_page"] == 200 for q in search.queries)
        assert "custom_fields.Tier" in search.queries[0]["options"]["projection"]
        assert plan.lookup.find([f"p{records}"]) or records == 0
        # a projected record holds only what Search v3 knows
        assert "custom_fields" in plan.lookup.fields and "billing_address" not in plan.lookup.fields
    finally:
        plan.lookup.close()
    # a key Search v3 cannot see (an undefined custom field) walks the v2 list instead
    for choice in ("prefetch", "auto"):
        pages = Pages(150)
        plan = plan_lookup(choice, pages, "custom_fields.external_id", direct,
                           search=FakeSearch([]), resource="contacts", expected_rows=1000)
        assert plan.requests == 2 and pages.asked == [1, 2] and "the v2 list" in plan.reason
        assert plan.lookup is not None
        plan.lookup.close()


# -- through the engine, over the fake API --------------------------------------------------
def test_a_rerun_with_prefetch_sends_only_the_rows_that_changed(client, api) -> None:
    client.bulk.import_records("contacts", people(30), key="email", rate=0)
    api.calls.clear()
    rows = people(30)
    rows[3]["first_name"] = "Changed"
    rows.append({"first_name": "New", "last_name": "Row", "email": "new@example.com"})
    plans: list[Any] = []
    seen: list[Any] = []
    summary = client.bulk.import_records("contacts", rows, key="email", rate=0,
                                         on_result=seen.append, on_plan=plans.append)
    assert plans[0].strategy == "prefetch" and summary.lookup == "prefetch"
    assert [r.status for r in seen].count("unchanged") == 29
    assert seen[3].status == "updated" and seen[30].status == "created"
    # one page of lookups, one update by id, one upsert for the missing row
    assert (api.count("list"), api.count("update"), api.count("upsert")) == (1, 1, 1)
    changed = next(r for r in api.records if r["email"] == "p3@example.com")
    assert changed["first_name"] == "Changed" and len(api.records) == 31


def test_a_rerun_with_search_sends_one_search_per_200_rows_and_only_changed_rows(
        client, api) -> None:
    client.bulk.import_records("contacts", people(250), key="email", rate=0, lookup="search")
    assert len(api.records) == 250
    api.calls.clear()
    rows = people(250)
    rows[3]["first_name"] = "Changed"
    seen: list[Any] = []
    summary = client.bulk.import_records("contacts", rows, key="email", rate=0,
                                         lookup="search", on_result=seen.append)
    assert summary.lookup == "search"
    assert [r.status for r in seen].count("unchanged") == 249 and seen[3].status == "updated"
    assert (api.count("search"), api.count("update"), api.count("list"),
            api.count("upsert")) == (2, 1, 0, 0)


def test_a_failed_search_falls_back_to_reading_each_row(client, api) -> None:
    client.bulk.import_records("contacts", people(5), key="email", rate=0)
    api.calls.clear()
    api.fail = {("search", 0): 500}
    seen: list[Any] = []
    client.bulk.import_records("contacts", people(5), key="email", rate=0, lookup="search",
                               on_result=seen.append, max_attempts=2)
    assert [r.status for r in seen] == ["unchanged"] * 5
    assert api.count("search") == 2 and api.count("list") == 5 and len(api.records) == 5


def test_a_record_deleted_since_the_lookup_is_upserted_once(client, api) -> None:
    client.bulk.import_records("contacts", people(1), key="email", rate=0)
    index = PrefetchIndex("email")
    index.add([{**api.records[0], "id": 999, "first_name": "Stale"}])   # 999: gone
    seen: list[Any] = []
    Importer("contacts", client.contacts, key="email", lookup=index).run(people(1), seen.append)
    assert seen[0].status == "updated" and api.count("update") == 1 and len(api.records) == 1


def test_with_lookup_none_each_row_is_one_upsert(client, api) -> None:
    for choice in ("none", "none"):
        summary = client.bulk.import_records("contacts", people(3), key="email", rate=0,
                                             lookup=choice)
    assert summary.lookup == "none" and api.count("list") == 0 and api.count("upsert") == 6


def test_a_key_held_by_two_records_fails_its_row(client, api) -> None:
    api.records += [{"id": 1, "email": "a@b.c"}, {"id": 2, "email": "a@b.c"}]
    seen: list[Any] = []
    client.bulk.import_records("contacts", [{"last_name": "L", "email": "a@b.c"}], key="email",
                               rate=0, on_result=seen.append, lookup="prefetch")
    assert seen[0].status == "failed" and seen[0].error_code == "ambiguous_key"
    assert api.count("upsert") == 0


@pytest.mark.parametrize("lookup", ["prefetch", "none", "auto", "search"])
def test_faults_a_stop_and_a_resume_leave_one_record_per_key(client, api, tmp_path,
                                                             lookup: str) -> None:
    client.bulk.import_records("contacts", people(20), key="email", rate=0)
    rows = people(300)
    for row in rows[:20:3]:
        row["first_name"] = "Changed"
    api.fail = {("upsert", 5): 500, ("upsert", 9): 503, ("update", 2): 500, ("list", 1): 502,
                ("search", 1): 502}
    journal = str(tmp_path / "j")
    stop = threading.Event()
    seen: list[Any] = []

    def stop_at_30(result: Any) -> None:
        seen.append(result)
        if len(seen) == 30:
            stop.set()

    first = client.bulk.import_records("contacts", rows, key="email", rate=0, lookup=lookup,
                                       journal=journal, stop=stop, on_result=stop_at_30,
                                       max_attempts=4)
    assert first.interrupted and first.rows < 300
    again: list[Any] = []
    second = client.bulk.import_records("contacts", rows, key="email", rate=0, lookup=lookup,
                                        journal=journal, resume=True, on_result=again.append)
    assert [r.row for r in again] == list(range(1, 301)), "a result per row, in order"
    assert second.ok, second.line()
    emails = [r["email"] for r in api.records]
    assert len(emails) == len(set(emails)) == 300
    assert all(r["first_name"] == "Changed" for r in api.records if r["email"] in
               {row["email"] for row in rows[:20:3]})
