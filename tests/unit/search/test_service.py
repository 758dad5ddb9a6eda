"""SearchService over a faked API: requests sent, answers decoded, errors typed."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import responses

from basecrm_like.errors import ServerError
from basecrm_like.search import F, SearchQueryError

from .conftest import BASE

SEARCH = f"{BASE}/v3/deals/search"
FIELDS = f"{BASE}/v3/deals/custom_fields"


def page(items: list[dict[str, Any]], next_page: str | None = None, **meta: Any) -> dict:
    links = {"self": None, **({"next_page": next_page} if next_page else {})}
    return {"successful": True, "items": [{"data": d, "meta": {"type": "deal"}} for d in items],
            "meta": {"type": "collection", "count": len(items), "total_count": 3,
                     "links": links, **meta}}


def sent(call: Any) -> dict:
    return json.loads(call.request.body)


def test_custom_fields_are_looked_up_once_and_read_back_by_name(rsps, responses_client) -> None:
    rsps.get(FIELDS, json={"items": [{"data": {"id": "12", "name": "Industry", "type": "string",
                                                "resource_type": "deal",
                                                "search_api_id": "custom_fields.12"},
                                       "meta": {"type": "custom_field"}}],
                            "meta": {"type": "collection", "count": 1}})
    rsps.post(SEARCH, json={"items": [page([{"id": 1, "version": 2,
                                              "custom_fields": {"12": "Retail"}}])]})
    query = responses_client.search.deals(F("custom_fields.Industry") == "Retail",
                                          projection=["custom_fields.Industry"])
    first = query.page()
    query.page()
    assert len([c for c in rsps.calls if c.request.url == FIELDS]) == 1
    body = sent(rsps.calls[1])
    assert body == {"items": [{"data": {
        "query": {"projection": [{"name": "custom_fields.12"}],
                  "filter": {"filter": {"attribute": {"name": "custom_fields.12"},
                                        "parameter": {"eq": "Retail"}}}}}}]}
    assert first.items[0].custom_fields == {"Industry": "Retail"}


def test_iterate_asks_for_the_next_page_only_when_needed(rsps, responses_client) -> None:
    rsps.post(SEARCH, json={"items": [page([{"id": 1, "decimal_value": 10.5}], "c1")]})
    rsps.post(SEARCH, json={"items": [page([{"id": 2, "decimal_value": 3}])]})
    records = responses_client.search.deals(per_page=1).iterate()
    first = next(records)
    assert first.decimal_value == Decimal("10.5") and len(rsps.calls) == 1
    assert [r.id for r in records] == [2]
    assert sent(rsps.calls[1])["items"][0]["data"]["cursor"] == "c1"


def test_aggregates_come_back_as_decimals(rsps, responses_client) -> None:
    stats = {"decimal_value": {"sum": 1500.35, "terms": [{"term": 100.1, "count": 2}]}}
    rsps.post(SEARCH, json={"items": [page([], aggregations=stats)]})
    found = responses_client.search.deals().aggregate(sum="value", terms="decimal_value")
    assert found.decimal_value.sum == Decimal("1500.35")
    assert found.decimal_value.terms[0].term == Decimal("100.1")
    data = sent(rsps.calls[0])["items"][0]["data"]
    assert data["hits"] is False and data["per_page"] == 0
    assert data["aggregations"] == [
        {"attribute": {"name": "decimal_value"}, "aggregation_type": "sum"},
        {"attribute": {"name": "decimal_value"}, "aggregation_type": "terms"}]


def test_batch_failures_are_per_query_and_http_errors_raise(rsps, responses_client) -> None:
    rsps.post(SEARCH, json={"items": [page([{"id": 1}]), {"successful": False, "error": {
        "code": "unknown_attribute", "message": "Unknown attribute 'nope'"}}]})
    search = responses_client.search
    results = search.batch([search.deals(), search.deals(F("nope") == 1)])
    assert results[0].successful and results[0].page is not None
    assert isinstance(results[1].error, SearchQueryError)
    assert results[1].error.code == "unknown_attribute"
    rsps.post(SEARCH, status=503, json={"errors": []})
    with pytest.raises(ServerError):
        search.deals().page()


def test_only_searchable_resources(responses_client) -> None:
    with pytest.raises(TypeError, match="products"):
        responses_client.search.query("products")


def test_uses_the_clients_http_core(responses_client) -> None:
    assert responses_client.search.http_client is responses_client.http_client
    with responses.RequestsMock() as mock:
        mock.post(SEARCH, json={"items": [page([])]})
        responses_client.search.deals().page()
        assert mock.calls[0].request.headers["Authorization"] == "Bearer " + "t" * 64
