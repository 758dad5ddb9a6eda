"""The builder's wire format against the documented request shape (no HTTP)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from basecrm_like.errors import InvalidArgumentError
from basecrm_like.search import F, Raw
from basecrm_like.search.query import sort_wire


def leaf(name: str, parameter: dict) -> dict:
    return {"filter": {"attribute": {"name": name}, "parameter": parameter}}


def test_comparisons_become_documented_leaves() -> None:
    assert (F("decimal_value") >= 1000).to_wire() == leaf("decimal_value", {"range": {"gte": 1000}})
    assert (F("x") > 1).to_wire() == leaf("x", {"range": {"gt": 1}})
    assert (F("x") < 1).to_wire() == leaf("x", {"range": {"lt": 1}})
    assert (F("x") <= 1).to_wire() == leaf("x", {"range": {"lte": 1}})
    assert (F("name") == "Acme").to_wire() == leaf("name", {"eq": "Acme"})
    assert (F("stage.id").any([1, 2])).to_wire() == leaf("stage.id", {"any": [1, 2]})
    assert F("x").between(1, 5).to_wire() == leaf("x", {"range": {"gte": 1, "lte": 5}})
    assert F("x").is_null().to_wire() == leaf("x", {"is_null": True})
    assert F("n").contains("ac").to_wire() == leaf("n", {"contains": "ac"})
    assert F("n").starts_with("A").to_wire() == leaf("n", {"starts_with": "A"})
    assert (F("x") != 3).to_wire() == {"not": leaf("x", {"eq": 3})}


def test_and_or_not_nest_and_flatten() -> None:
    a, b, c = F("a") == 1, F("b") == 2, F("c") == 3
    assert ((a & b) | ~c).to_wire() == {"or": [{"and": [leaf("a", {"eq": 1}), leaf("b", {"eq": 2})]},
                                               {"not": leaf("c", {"eq": 3})}]}
    assert (a & b & c).to_wire() == {"and": [leaf("a", {"eq": 1}), leaf("b", {"eq": 2}),
                                             leaf("c", {"eq": 3})]}
    raw = {"filter": {"attribute": {"name": "hot"}, "parameter": {"eq": True}}}
    assert (a | raw).to_wire() == {"or": [leaf("a", {"eq": 1}), raw]}
    assert Raw(raw).to_wire() == raw


def test_values_are_sent_exactly() -> None:
    assert (F("v") == Decimal("1000.10")).to_wire() == leaf("v", {"eq": "1000.10"})
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert (F("t") >= moment).to_wire() == leaf("t", {"range": {"gte": "2026-01-02T01:04:05Z"}})
    assert (F("d") == dt.date(2026, 5, 1)).to_wire() == leaf("d", {"eq": "2026-05-01"})


def test_resolver_renames_every_attribute() -> None:
    condition = (F("value") > 1) & F("stage_id").any([1])
    names = {"value": "decimal_value", "stage_id": "stage.id"}
    wire = condition.to_wire(lambda n: names.get(n, n))
    assert wire["and"][0]["filter"]["attribute"]["name"] == "decimal_value"
    assert wire["and"][1]["filter"]["attribute"]["name"] == "stage.id"
    assert sorted(condition.attributes()) == ["stage_id", "value"]


def test_sort_specs() -> None:
    assert sort_wire([("updated_at", "desc"), "name"]) == [
        {"attribute": {"name": "updated_at"}, "order": "descending"},
        {"attribute": {"name": "name"}, "order": "ascending"}]
    assert sort_wire("id:desc") == [{"attribute": {"name": "id"}, "order": "descending"}]
    with pytest.raises(InvalidArgumentError, match="sideways"):
        sort_wire([("id", "sideways")])


def test_python_boolean_operators_are_refused_with_a_hint() -> None:
    with pytest.raises(InvalidArgumentError, match="&, \\| and ~"):
        (F("a") == 1) and (F("b") == 2)  # noqa: B015
    with pytest.raises(InvalidArgumentError):
        F("a").any("abc")


def test_query_wire_with_projection_paging_and_aggregations(responses_client) -> None:
    query = responses_client.search.deals(F("value") >= 1000, projection=["name", "value"],
                                          sort=[("added_on", "desc")], per_page=10, offset=20)
    assert query.to_wire(cursor=None) == {
        "query": {"projection": [{"name": "name"}, {"name": "decimal_value"}],
                  "filter": leaf("decimal_value", {"range": {"gte": 1000}}),
                  "sort": [{"attribute": {"name": "added_on"}, "order": "descending"}]},
        "per_page": 10, "offset": 20}
    stats = query.but(aggregations=(("value", "sum"),), hits=False, per_page=0)
    assert stats.to_wire(cursor="abc") == {
        "query": {"projection": [{"name": "name"}, {"name": "decimal_value"}],
                  "filter": leaf("decimal_value", {"range": {"gte": 1000}}),
                  "sort": [{"attribute": {"name": "added_on"}, "order": "descending"}]},
        "aggregations": [{"attribute": {"name": "decimal_value"}, "aggregation_type": "sum"}],
        "hits": False, "per_page": 0, "offset": 20, "cursor": "abc"}
