"""client.search against the mock server over loopback."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from basecrm_like.search import F, SearchQueryError


@pytest.fixture
def deals(search_client: Any) -> list[Any]:
    org = search_client.contacts.create(name="Analytical Engines", is_organization=True)
    made = []
    for index, (value, stage, hot) in enumerate([
            ("500.10", 1, True), ("1500.25", 2, False), ("2500.00", 3, True),
            ("999.99", 2, False), ("10000.01", 1, False)]):
        made.append(search_client.deals.create(
            name=f"Deal {index}", contact_id=org.id, value=Decimal(value), stage_id=stage,
            hot=hot, custom_fields={"Lead ID": f"L-{index}"}))
    return made


def test_v2_writes_are_found_at_once_with_v3_names(search_client: Any, deals: list[Any]) -> None:
    query = search_client.search.deals(
        (F("decimal_value") >= 1000) & F("stage.id").any([1, 2]),
        projection=["name", "decimal_value", "stage.id"], sort=[("decimal_value", "desc")])
    page = query.page()
    assert [r.name for r in page.items] == ["Deal 4", "Deal 1"]
    assert page.items[0].decimal_value == Decimal("10000.01")
    assert isinstance(page.items[0].decimal_value, Decimal)
    assert page.items[0].stage.id == 1 and page.items[0].version >= 1
    assert page.total_count == 2 and page.next_cursor is None


def test_v2_names_translate_and_custom_fields_resolve_by_name(search_client: Any,
                                                              deals: list[Any]) -> None:
    found = list(search_client.search.deals(
        (F("value") < 1000) | (F("custom_fields.Lead ID") == "L-2"),
        projection=["custom_fields.Lead ID"], sort="id"))
    assert [r.id for r in found] == [deals[0].id, deals[2].id, deals[3].id]
    assert found[1].custom_fields == {"Lead ID": "L-2"}


def test_iterate_follows_cursors_and_aggregate_sums_exactly(search_client: Any,
                                                           deals: list[Any]) -> None:
    query = search_client.search.deals(~F("hot").is_null(), per_page=2, sort="decimal_value")
    ids = [record.id for record in query.iterate()]
    assert ids == [deals[i].id for i in (0, 3, 1, 2, 4)]
    stats = query.aggregate(sum="value", avg="decimal_value", terms="stage.id", count="hot")
    assert stats.decimal_value.sum == Decimal("15500.35")
    assert stats.decimal_value.avg == Decimal("3100.07")
    assert stats["stage.id"].terms[0] == {"term": 1, "count": 2}
    assert stats.hot.count == 5
    assert query.count() == 5



def test_iterate_from_an_offset_or_a_page_goes_on_by_cursor(search_client: Any,
                                                            deals: list[Any]) -> None:
    query = search_client.search.deals(~F("hot").is_null(), per_page=2, sort="decimal_value")
    in_order = [deals[i].id for i in (0, 3, 1, 2, 4)]
    assert [record.id for record in query.but(offset=1).iterate()] == in_order[1:]
    # pages count from 0: page 1 of 2 per page starts at the third record
    assert [record.id for record in query.but(page_number=1).iterate()] == in_order[2:]

def test_batch_answers_each_query_and_reports_failures_apart(search_client: Any,
                                                             deals: list[Any]) -> None:
    search = search_client.search
    good = search.deals(F("hot") == True)  # noqa: E712
    bad = search.deals(F("no_such_attribute") == 1)
    contacts = search.contacts(F("is_organization") == True)  # noqa: E712
    results = search.batch([good, bad, contacts])
    assert [r.successful for r in results] == [True, False, True]
    assert results[0].page is not None and results[0].page.total_count == 2
    assert results[1].error is not None and "no_such_attribute" in str(results[1].error)
    assert results[2].page is not None and results[2].page.total_count >= 1
    with pytest.raises(SearchQueryError, match="no_such_attribute"):
        bad.page()


def test_raw_dict_filters_are_sent_as_given(search_client: Any, deals: list[Any]) -> None:
    raw = {"filter": {"attribute": {"name": "name"}, "parameter": {"starts_with": "deal 3"}}}
    assert [r.id for r in search_client.search.deals(raw)] == [deals[3].id]
