"""The Search API v3 routes of the mock, through Werkzeug's test client."""
from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client as WsgiClient

from basecrm_like.mock.backend.search_schema import SEARCH_SCHEMA
from basecrm_like.mock.wire.app import MockApp

from .conftest import API_HEADERS


def search(http: WsgiClient, resource: str, *queries: dict[str, Any]) -> list[dict[str, Any]]:
    answer = http.post(f"/v3/{resource}/search", headers=API_HEADERS,
                       json={"items": [{"data": q} for q in queries]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["items"]


def by_name(name: str, parameter: dict[str, Any]) -> dict[str, Any]:
    return {"filter": {"attribute": {"name": name}, "parameter": parameter}}


def add_contacts(app: MockApp, count: int) -> list[int]:
    return [app.insert("contacts", {"last_name": f"N{i:03d}", "industry": "x" if i % 2 else "y"})
            ["id"] for i in range(count)]


def test_cursor_walk_is_stable_while_other_records_change(app: MockApp, http: WsgiClient) -> None:
    ids = add_contacts(app, 30)
    wanted = [i for n, i in enumerate(ids) if n % 2]
    query = {"query": {"filter": by_name("industry", {"eq": "x"}),
                       "sort": [{"attribute": {"name": "last_name"}, "order": "descending"}]},
             "per_page": 4}
    seen: list[int] = []
    cursor = None
    while True:
        [page] = search(http, "contacts", {**query, **({"cursor": cursor} if cursor else {})})
        seen += [item["data"]["id"] for item in page["items"]]
        # unrelated writes between pages: a new first row, a deleted one, an edited one
        app.insert("contacts", {"last_name": "ZZZ", "industry": "y"})
        app.insert("contacts", {"last_name": "AAA", "industry": "y"})
        cursor = page["meta"]["links"].get("next_page")
        if cursor is None:
            break
    assert seen == sorted(wanted, reverse=True)
    assert len(seen) == len(set(seen)) == 15


def test_prev_page_walks_back(app: MockApp, http: WsgiClient) -> None:
    add_contacts(app, 9)
    query = {"query": {"sort": [{"attribute": {"name": "last_name"}}]}, "per_page": 3}
    [first] = search(http, "contacts", query)
    [second] = search(http, "contacts", {**query, "cursor": first["meta"]["links"]["next_page"]})
    [back] = search(http, "contacts", {**query, "cursor": second["meta"]["links"]["prev_page"]})
    assert back["items"] == first["items"]
    assert "prev_page" not in back["meta"]["links"]
    assert "prev_page" not in first["meta"]["links"]


def test_projection_defaults_and_v3_names(app: MockApp, http: WsgiClient) -> None:
    org = app.insert("contacts", {"name": "Acme", "is_organization": True})
    app.insert("deals", {"name": "D", "contact_id": org["id"], "value": "1200.50",
                         "stage_id": 2, "added_at": "2026-02-01T00:00:00Z"})
    [plain, projected] = search(http, "deals", {}, {"query": {"projection": [
        {"name": "decimal_value"}, {"name": "stage.id"}, {"name": "added_at"}]}})
    assert set(plain["items"][0]["data"]) == {"id", "version"}
    data = projected["items"][0]["data"]
    assert data["decimal_value"] == 1200.5 and data["stage"] == {"id": 2}
    assert data["added_at"] == "2026-02-01T00:00:00Z"
    answer = http.post("/v3/deals/search", headers=API_HEADERS, json={"items": [{"data": {
        "query": {"projection": [{"name": "decimal_value"}]}}}]})
    assert b'"decimal_value":1200.50' in answer.get_data()  # exact, as a JSON number


@pytest.mark.parametrize(("query", "code", "words"), [
    ({"per_page": 201}, "invalid_query", "at most 200"),
    ({"per_page": -1}, "invalid_query", "at least 0"),
    ({"page": 1, "cursor": "x"}, "invalid_query", "mutually exclusive"),
    ({"page": 1, "offset": 2}, "invalid_query", "mutually exclusive"),
    ({"offset": 2, "cursor": "x"}, "invalid_query", "offset are mutually exclusive"),
    ({"page": 0, "offset": 0, "cursor": "x"}, "invalid_query", "cursor and page and offset"),
    ({"per_page": 2.5}, "invalid_query", "per_page"),
    ({"per_page": "10"}, "invalid_query", "per_page"),
    ({"query": {"sort": [{"attribute": {"name": "nope"}}]}}, "unknown_attribute", "'nope'"),
    ({"query": {"projection": [{"name": "nope"}]}}, "unknown_attribute", "'nope'"),
    ({"aggregations": [{"attribute": {"name": "nope"}}]}, "unknown_attribute", "'nope'"),
    ({"query": {"filter": by_name("decimal_value", {"range": {"between": 1}})}},
     "invalid_query", "'between'"),
    ({"query": {"filter": by_name("tags", {"range": {"gt": "a"}})}}, "invalid_operator",
     "range does not apply to the list attribute tags"),
    ({"cursor": "garbage"}, "invalid_cursor", "malformed"),
    ({"query": {"filter": by_name("nope", {"eq": 1})}}, "unknown_attribute", "'nope'"),
    ({"query": {"filter": by_name("value", {"eq": 1})}}, "unknown_attribute", "decimal_value"),
    ({"query": {"filter": by_name("name", {"like": "x"})}}, "invalid_query", "'like'"),
    ({"query": {"filter": by_name("hot", {"eq": "yes"})}}, "invalid_value", "true or false"),
    ({"query": {"filter": by_name("hot", {"contains": "x"})}}, "invalid_operator", "text"),
    ({"query": {"filter": {"xor": []}}}, "invalid_query", "'xor'"),
    ({"query": {"sort": [{"attribute": {"name": "tags"}}]}}, "invalid_sort", "list"),
    ({"aggregations": [{"attribute": {"name": "name"}, "aggregation_type": "sum"}]},
     "invalid_aggregation", "number"),
    ({"query": {"filter": by_name("custom_fields.999", {"eq": 1})}}, "unknown_attribute",
     "custom_fields.999"),
])
def test_errors_name_what_is_wrong_and_spare_the_other_items(
        http: WsgiClient, query: dict[str, Any], code: str, words: str) -> None:
    good, bad = search(http, "deals", {}, query)
    assert good["successful"] is True
    assert bad["successful"] is False
    assert bad["error"]["code"] == code and words in bad["error"]["message"]


def test_cursor_of_another_query_is_refused(app: MockApp, http: WsgiClient) -> None:
    add_contacts(app, 3)
    [page] = search(http, "contacts", {"per_page": 1})
    [other] = search(http, "contacts", {"per_page": 1, "cursor": page["meta"]["links"]["next_page"],
                                        "query": {"sort": [{"attribute": {"name": "id"}}]}})
    assert other["error"]["code"] == "invalid_cursor"


def test_bodies_that_are_not_batches_get_400(http: WsgiClient) -> None:
    for body in ({"query": {}}, {"items": []}, {"items": [{}] * 21}, {"items": [], "x": 1}):
        answer = http.post("/v3/deals/search", headers=API_HEADERS, json=body)
        assert answer.status_code == 400
        assert answer.get_json()["errors"][0]["error"]["code"] == "invalid_payload"
    assert http.post("/v3/products/search", headers=API_HEADERS, json={}).status_code == 404


def test_hits_false_and_per_page_zero_give_counts_and_aggregates_only(
        app: MockApp, http: WsgiClient) -> None:
    add_contacts(app, 5)
    [answer] = search(http, "contacts", {"hits": False, "aggregations": [
        {"attribute": {"name": "industry"}, "aggregation_type": "terms"}]})
    assert answer["items"] == [] and answer["meta"]["total_count"] == 5
    assert answer["meta"]["aggregations"]["industry"]["terms"] == [
        {"term": "y", "count": 3}, {"term": "x", "count": 2}]


def test_custom_fields_schema_and_search_schema(http: WsgiClient) -> None:
    fields = http.get("/v3/deals/custom_fields", headers=API_HEADERS).get_json()
    assert fields["meta"] == {"type": "collection", "count": len(fields["items"])}
    item = fields["items"][0]["data"]
    assert item["search_api_id"] == f"custom_fields.{item['id']}"
    assert item["resource_type"] == "deal"
    schema = http.get("/v3/deals/schema", headers=API_HEADERS)
    assert schema.content_type.startswith("application/yaml")
    text = schema.get_data(as_text=True)
    assert "  decimal_value:\n    type: double\n" in text
    assert "  added_at:\n    type: date_time\n" in text
    assert "  stage:\n    type: object\n    filter_field: id\n" in text
    assert "\n  value:" not in text
    served = http.get("/v3/search-schema", headers=API_HEADERS).get_json()
    assert served == json.loads(json.dumps(SEARCH_SCHEMA))
    assert http.get("/v3/notes/schema", headers=API_HEADERS).status_code == 404


@pytest.mark.parametrize(("query", "field"), [
    ({"per_page": 201}, "/items/1/data/per_page"),
    ({"page": 1, "cursor": "x"}, "/items/1/data/page"),
    ({"query": {"sort": [{"attribute": {"name": "id"}}, {"attribute": {"name": "nope"}}]}},
     "/items/1/data/query/sort/1/attribute/name"),
    ({"query": {"filter": {"and": [by_name("hot", {"eq": True}), by_name("name", {"like": "x"})]}}},
     "/items/1/data/query/filter/and/1/filter/parameter/like"),
])
def test_a_refused_item_points_at_the_part_at_fault(http: WsgiClient, query: dict[str, Any],
                                                    field: str) -> None:
    good, bad = search(http, "deals", {}, query)
    assert good["successful"] is True
    assert bad["error"]["field"] == field


def test_per_page_bounds_are_inclusive(app: MockApp, http: WsgiClient) -> None:
    add_contacts(app, 3)
    none, most = search(http, "contacts", {"per_page": 0}, {"per_page": 200})
    assert none["items"] == [] and none["meta"]["total_count"] == 3
    assert "next_page" not in none["meta"]["links"]
    assert len(most["items"]) == 3 and most["meta"]["count"] == 3
