"""Which indexes the search engine's SQL reads (SQLite's EXPLAIN QUERY PLAN), not how fast."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest

from basecrm_like.catalog import CATALOG
from basecrm_like.mock.backend import search as engine
from basecrm_like.mock.backend.store import Store


@contextmanager
def plans(store: Store) -> Iterator[list[tuple[str, str]]]:
    """Each SELECT the engine runs on the store, with its query plan."""
    seen: list[tuple[str, str]] = []
    execute = store.execute

    def explained(sql: str, params: Sequence[Any] = ()) -> Any:
        if sql.startswith(("SELECT", "WITH")) and "sqlite_master" not in sql:
            plan = " | ".join(row[3] for row in execute(f"EXPLAIN QUERY PLAN {sql}", params))
            seen.append((sql, plan))
        return execute(sql, params)

    with mock.patch.object(store, "execute", explained):
        yield seen


def _store() -> Store:
    store = Store()
    store.bulk_insert(CATALOG["contacts"], [(0, {
        "id": i, "name": f"P {i}", "last_name": None if i % 7 == 0 else f"N{i % 13:02d}",
        "industry": f"I{i % 3}", "tags": [], "custom_fields": {}}) for i in range(1, 121)])
    org = {"id": 1, "name": "Org", "is_organization": True, "tags": [], "custom_fields": {}}
    store.bulk_insert(CATALOG["contacts"], [(0, {**org, "id": 1000})])
    store.bulk_insert(CATALOG["deals"], [(0, {
        "id": i, "name": f"D {i}", "contact_id": 1000, "stage_id": i % 4,
        "value": f"12345678901234567.{i:02d}", "tags": [], "custom_fields": {}})
        for i in range(1, 81)])
    return store


def _walk(store: Store, resource: str, query: dict[str, Any]) -> list[int]:
    ids, cursor = [], None
    while True:
        answer = engine.run_query(store, CATALOG[resource],
                                  {**query, **({"cursor": cursor} if cursor else {})})
        ids += [item["data"]["id"] for item in answer["items"]]
        cursor = answer["meta"]["links"].get("next_page")
        if cursor is None:
            return ids


def _leaf(name: str, parameter: dict[str, Any]) -> dict[str, Any]:
    return {"filter": {"attribute": {"name": name}, "parameter": parameter}}


@pytest.mark.parametrize(("resource", "query"), [
    ("contacts", {"query": {"filter": _leaf("industry", {"eq": "I1"}), "sort": [
        {"attribute": {"name": "last_name"}, "order": "descending"}]}, "per_page": 5}),
    ("contacts", {"query": {"filter": {"and": [_leaf("industry", {"eq": "I2"}),
                                               _leaf("name", {"starts_with": "p"})]},
                            "sort": [{"attribute": {"name": "last_name"}}]}, "per_page": 4}),
    ("deals", {"query": {"filter": _leaf("stage.id", {"eq": 2}), "sort": [
        {"attribute": {"name": "decimal_value"}, "order": "descending"}]}, "per_page": 3}),
    ("contacts", {"query": {"sort": [{"attribute": {"name": "last_name"}}]}, "per_page": 25}),
])
def test_with_many_matches_every_page_reads_an_index_in_the_query_order(
        resource: str, query: dict[str, Any]) -> None:
    store = _store()
    with mock.patch.object(engine, "ORDER_INDEX_FROM", 10), plans(store) as seen:
        ids = _walk(store, resource, query)
    pages = [plan for sql, plan in seen if "LIMIT" in sql]
    assert len(ids) > 10 and len(pages) > 2
    for plan in pages:
        assert "USING INDEX search_order_" in plan and "TEMP B-TREE" not in plan, plan


def test_counts_read_an_attribute_index_and_few_matches_sort_without_a_new_index() -> None:
    store = _store()
    query = {"query": {"filter": _leaf("industry", {"eq": "I0"}), "sort": [
        {"attribute": {"name": "last_name"}}]}, "per_page": 50}
    with plans(store) as seen:
        ids = _walk(store, "contacts", query)
    assert len(ids) == 40  # below ORDER_INDEX_FROM: sorted from the attribute index's matches
    [(sql, count)] = [(sql, plan) for sql, plan in seen if sql.startswith("SELECT count(*)")]
    # nothing outside the index is asked for, so SQLite never seeks the table's rows
    assert "USING INDEX v3_contacts_industry" in count and "parent" not in sql
    [page] = [plan for sql, plan in seen if "LIMIT" in sql]
    assert "USING INDEX v3_contacts_industry" in page and "search_order_" not in page


def test_a_range_filter_without_an_eq_sorts_its_matches_instead_of_scanning_in_order() -> None:
    store = _store()
    query = {"query": {"filter": _leaf("decimal_value", {"range": {"gte": "12345678901234567.4"}}),
                       "sort": [{"attribute": {"name": "name"}}]}, "per_page": 5}
    with mock.patch.object(engine, "ORDER_INDEX_FROM", 10), plans(store) as seen:
        ids = _walk(store, "deals", query)
    assert ids == sorted(range(40, 81), key=lambda i: f"D {i}")
    pages = [plan for sql, plan in seen if "LIMIT" in sql]
    assert pages and all("search_order_" not in plan and "v3_deals_decimal_value_key" in plan
                         for plan in pages), pages
