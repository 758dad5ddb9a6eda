"""The mock's search engine against a straightforward evaluation written here.

Random deals (text, exact decimals (short ones, 0.1/0.2/0.3 sums and values with
more digits than a double holds), timestamps, dates, booleans, integers, tags, a
numeric custom field, with nulls everywhere) and random filter trees: the
engine's matches, their order, a cursor walk over every page and the aggregates
must equal what the reference computes from the same records.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from decimal import Decimal, localcontext
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basecrm_like.catalog import CATALOG
from basecrm_like.mock.backend import search as engine
from basecrm_like.mock.backend.search import encode_answer, run_query
from basecrm_like.mock.backend.store import Store

DEALS = CATALOG["deals"]
SCORE_ID = 7
SCORE = f"custom_fields.{SCORE_ID}"
TEXT = st.sampled_from(["a", "ab", "Ab", "b", "ba", "abc", ""])
#: near neighbours a double cannot tell apart, and sums a double gets wrong
TRICKY = [Decimal(text) for text in (
    "0.1", "0.2", "0.3", "-0.3", "12345678901234567.01", "12345678901234567.02",
    "-12345678901234567.01", "99999999999999999999.99", "0.000000000000000000001", "1.50")]
DECIMALS = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
    st.sampled_from(TRICKY),
    st.builds(lambda digits, places: Decimal(f"{digits}E-{places}"),
              st.integers(min_value=-10 ** 24, max_value=10 ** 24), st.integers(0, 8)))
STAMPS = st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-02T10:00:00Z",
                          "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z"])
DATES = st.sampled_from(["2026-01-01", "2026-02-28", "2026-12-31"])
STAGES = st.integers(min_value=1, max_value=4)
SCORES = st.integers(min_value=-5, max_value=5)
TAGS = st.lists(st.sampled_from(["vip", "new", "old"]), max_size=2, unique=True)

#: attribute -> (strategy of its values, how the reference reads it from a record)
ATTRIBUTES: dict[str, tuple[Any, Any]] = {
    "name": (TEXT, lambda r: r["name"]),
    "decimal_value": (DECIMALS, lambda r: None if r["value"] is None else Decimal(r["value"])),
    "added_at": (STAMPS, lambda r: r["added_at"]),
    "estimated_close_date": (DATES, lambda r: r["estimated_close_date"]),
    "hot": (st.booleans(), lambda r: r["hot"]),
    "stage.id": (STAGES, lambda r: r["stage_id"]),
    SCORE: (SCORES, lambda r: r["custom_fields"].get("Score")),
    "tags": (st.sampled_from(["vip", "new", "old"]), lambda r: r["tags"]),
    "id": (st.integers(min_value=1, max_value=30), lambda r: r["id"]),
}
SORTABLE = [name for name in ATTRIBUTES if name != "tags"]
ORDERED = ["name", "decimal_value", "added_at", "estimated_close_date", "stage.id", SCORE, "id"]


def _maybe(strategy: Any) -> Any:
    return st.one_of(st.none(), strategy)


@st.composite
def deals(draw: Any) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=0, max_value=14))
    out = []
    for index in range(count):
        value = draw(_maybe(DECIMALS))
        score = draw(_maybe(SCORES))
        out.append({
            "id": index + 1, "name": draw(_maybe(TEXT)),
            "value": None if value is None else format(value, "f"),
            "added_at": draw(_maybe(STAMPS)),
            "estimated_close_date": draw(_maybe(DATES)), "hot": draw(_maybe(st.booleans())),
            "stage_id": draw(_maybe(STAGES)), "tags": draw(TAGS),
            "custom_fields": {} if score is None else {"Score": score},
        })
    return out


def _wire(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


@st.composite
def leaves(draw: Any) -> dict[str, Any]:
    name = draw(st.sampled_from(list(ATTRIBUTES)))
    values = ATTRIBUTES[name][0]
    operators = ["eq", "any", "is_null"] + (["range"] if name in ORDERED else []) + (
        ["contains", "starts_with"] if name == "name" else [])
    operator = draw(st.sampled_from(operators))
    argument: Any
    if operator == "eq":
        argument = _wire(draw(_maybe(values)))
    elif operator == "any":
        argument = [_wire(v) for v in draw(st.lists(_maybe(values), max_size=3))]
    elif operator == "is_null":
        argument = draw(st.booleans())
    elif operator == "range":
        bounds = draw(st.lists(st.sampled_from(["gt", "gte", "lt", "lte"]), min_size=1,
                               max_size=2, unique=True))
        argument = {bound: _wire(draw(values)) for bound in bounds}
    else:
        argument = draw(TEXT)
    return {"filter": {"attribute": {"name": name}, "parameter": {operator: argument}}}


FILTERS = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda parts: {"and": parts}, st.lists(children, max_size=3)),
        st.builds(lambda parts: {"or": parts}, st.lists(children, max_size=3)),
        st.builds(lambda part: {"not": part}, children)),
    max_leaves=6)


# -- the reference ------------------------------------------------------------------------
def _read(name: str, argument: Any) -> Any:
    if argument is None:
        return None
    if name == "decimal_value":
        return Decimal(argument)
    return argument


def _leaf(record: dict[str, Any], name: str, operator: str, argument: Any) -> bool:
    value = ATTRIBUTES[name][1](record)
    if name == "tags":
        members = value
        if operator == "eq":
            return not members if argument is None else argument in members
        if operator == "any":
            return any(v in members for v in argument if v is not None)
        return (not members) == argument  # is_null
    if operator == "eq":
        return value is None if argument is None else value == _read(name, argument)
    if operator == "any":
        wanted = [_read(name, v) for v in argument]
        return value in wanted if value is not None else None in wanted
    if operator == "is_null":
        return (value is None) == argument
    if value is None:
        return False
    if operator == "range":
        checks = {"gt": value.__gt__, "gte": value.__ge__, "lt": value.__lt__,
                  "lte": value.__le__}
        return all(checks[bound](_read(name, limit)) for bound, limit in argument.items())
    if operator == "contains":
        return argument.lower() in value.lower()
    return value.lower().startswith(argument.lower())  # starts_with


def matches(record: dict[str, Any], tree: dict[str, Any]) -> bool:
    [(kind, body)] = tree.items()
    if kind == "and":
        return all(matches(record, part) for part in body)
    if kind == "or":
        return any(matches(record, part) for part in body)
    if kind == "not":
        return not matches(record, body)
    [(operator, argument)] = body["parameter"].items()
    return _leaf(record, body["attribute"]["name"], operator, argument)


def ordered(records: list[dict[str, Any]], sort: list[tuple[str, bool]]) -> list[int]:
    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for name, descending in [*sort, ("id", False)]:
            x, y = ATTRIBUTES[name][1](a), ATTRIBUTES[name][1](b)
            if x == y:
                continue
            if x is None or y is None:  # nulls last in either direction
                return 1 if x is None else -1
            result = -1 if x < y else 1
            return -result if descending else result
        return 0
    return [r["id"] for r in sorted(records, key=functools.cmp_to_key(compare))]


# -- running the engine ----------------------------------------------------------------------
def _store(records: list[dict[str, Any]]) -> Store:
    store = Store()
    store.execute('INSERT INTO "custom_fields" (parent, id, data) VALUES (?, ?, ?)',
                  ("deal", SCORE_ID, json.dumps({"id": SCORE_ID, "name": "Score",
                                                 "type": "number"})))
    store.bulk_insert(DEALS, [(0, record) for record in records])
    return store


def _ask(store: Store, query: dict[str, Any]) -> Any:
    answer = run_query(store, DEALS, query)
    return json.loads(encode_answer(answer), parse_float=Decimal)


def _walk(store: Store, query: dict[str, Any]) -> Iterator[Any]:
    cursor = None
    while True:
        page = _ask(store, {**query, **({"cursor": cursor} if cursor else {})})
        yield page
        cursor = page["meta"]["links"].get("next_page")
        if cursor is None:
            return


SORTS = st.lists(st.tuples(st.sampled_from(SORTABLE), st.booleans()), max_size=3)


#: the smallest match count that gets an index in the query's order: as shipped, and 0
#: (every query pages off such an index)
PLANS = pytest.mark.parametrize("index_from", [engine.ORDER_INDEX_FROM, 0],
                                ids=["sorted-matches", "order-index"])


@PLANS
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=deals(), tree=FILTERS, sort=SORTS, per_page=st.integers(1, 5))
def test_matches_order_and_cursor_pages_equal_the_reference(
        index_from: int, records: list[dict[str, Any]], tree: dict[str, Any],
        sort: list[tuple[str, bool]], per_page: int) -> None:
    with mock.patch.object(engine, "ORDER_INDEX_FROM", index_from):
        _check_pages(records, tree, sort, per_page)


def _check_pages(records: list[dict[str, Any]], tree: dict[str, Any],
                 sort: list[tuple[str, bool]], per_page: int) -> None:
    store = _store(records)
    expected = ordered([r for r in records if matches(r, tree)], sort)
    query = {"query": {"filter": tree, "sort": [
        {"attribute": {"name": name}, "order": "descending" if desc else "ascending"}
        for name, desc in sort]}, "per_page": per_page}
    seen: list[int] = []
    for page in _walk(store, query):
        assert page["meta"]["total_count"] == len(expected)
        assert page["meta"]["count"] == len(page["items"]) <= per_page
        seen += [item["data"]["id"] for item in page["items"]]
    assert seen == expected
    back: list[int] = []  # prev_page from the last page walks the same order backwards
    cursor = page["meta"]["links"].get("prev_page")
    while cursor:
        earlier = _ask(store, {**query, "cursor": cursor})
        back = [item["data"]["id"] for item in earlier["items"]] + back
        cursor = earlier["meta"]["links"].get("prev_page")
    if page["items"] and back:
        assert back + [item["data"]["id"] for item in page["items"]] == expected
    if expected:  # page numbers count from 0 and cut the same order
        last = (len(expected) - 1) // per_page
        page = _ask(store, {**query, "page": last})
        assert [i["data"]["id"] for i in page["items"]] == expected[last * per_page:]


@settings(max_examples=30, deadline=None)
@given(records=deals(), tree=FILTERS)
def test_aggregates_equal_the_reference(records: list[dict[str, Any]],
                                        tree: dict[str, Any]) -> None:
    store = _store(records)
    hits = [r for r in records if matches(r, tree)]
    page = _ask(store, {"query": {"filter": tree}, "hits": False, "aggregations": [
        {"attribute": {"name": "decimal_value"}},
        {"attribute": {"name": "stage.id"}, "aggregation_type": "terms"},
        {"attribute": {"name": SCORE}, "aggregation_type": "sum"}]})
    assert page["items"] == []
    found = page["meta"]["aggregations"]
    values = [Decimal(r["value"]) for r in hits if r["value"] is not None]
    money = found["decimal_value"]
    assert money["count"] == len(values)
    with localcontext() as wide:
        wide.prec = 100  # every sum here exact
        total = sum(values, Decimal(0))
    assert money["sum"] == total
    assert money["min"] == (min(values) if values else None)
    assert money["max"] == (max(values) if values else None)
    if values:
        with localcontext() as sixty:
            sixty.prec = 60  # the mock divides to 60 significant digits
            assert money["avg"] == total / len(values)
    by_value: dict[Decimal, int] = {}
    for value in values:  # 1.5 and 1.50 are one term
        by_value[value] = by_value.get(value, 0) + 1
    top = sorted(by_value.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(t["term"], t["count"]) for t in money["terms"]] == top
    counts: dict[int, int] = {}
    for r in hits:
        if r["stage_id"] is not None:
            counts[r["stage_id"]] = counts.get(r["stage_id"], 0) + 1
    terms = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert found["stage.id"]["terms"] == [{"term": t, "count": n} for t, n in terms]
    scores = [r["custom_fields"]["Score"] for r in hits if "Score" in r["custom_fields"]]
    assert found[SCORE]["sum"] == sum(scores)


NEIGHBOURS = st.sampled_from(TRICKY + [value + Decimal("0.01") for value in TRICKY])


@PLANS
@settings(max_examples=30, deadline=None)
@given(values=st.lists(_maybe(NEIGHBOURS), max_size=8), bound=NEIGHBOURS,
       operator=st.sampled_from(["eq", "gt", "gte", "lt", "lte"]), descending=st.booleans())
def test_decimals_a_double_cannot_hold_filter_and_sort_exactly(
        index_from: int, values: list[Decimal | None], bound: Decimal, operator: str,
        descending: bool) -> None:
    records = [{"id": index + 1, "name": None, "value": None if v is None else format(v, "f"),
                "added_at": None, "estimated_close_date": None, "hot": None, "stage_id": None,
                "tags": [], "custom_fields": {}} for index, v in enumerate(values)]
    parameter = {"eq": str(bound)} if operator == "eq" else {"range": {operator: str(bound)}}
    tree = {"filter": {"attribute": {"name": "decimal_value"}, "parameter": parameter}}
    sort = [("decimal_value", descending)]
    query = {"query": {"filter": tree, "sort": [{"attribute": {"name": "decimal_value"},
                                                 "order": "descending" if descending
                                                 else "ascending"}]}, "per_page": 2}
    store = _store(records)
    with mock.patch.object(engine, "ORDER_INDEX_FROM", index_from):
        seen = [item["data"]["id"] for page in _walk(store, query) for item in page["items"]]
    assert seen == ordered([r for r in records if matches(r, tree)], sort)
