"""Raw responses of searches, and numbers decoded exactly, over a faked API."""
from __future__ import annotations

from decimal import Decimal

import pytest

from basecrm_like.errors import UnexpectedResponseError
from basecrm_like.http.exchange import ApiResponse
from basecrm_like.search import F

from .test_service import SEARCH, page

TWENTY_DIGITS = "123456789012345678.91"


def test_a_query_page_with_its_raw_response(rsps, responses_client) -> None:
    rsps.post(SEARCH, json={"items": [page([{"id": 7, "version": 1}], next_page="c2")]},
              headers={"X-Request-Id": "req-42"})
    answer = responses_client.search.deals(F("hot") == True).with_raw_response.page()  # noqa: E712
    assert isinstance(answer, ApiResponse)
    assert answer.status == 200 and answer.request_id == "req-42"
    assert answer.method == "POST" and answer.url == SEARCH
    assert [r.id for r in answer.data.items] == [7]
    assert answer.data.next_cursor == "c2" and answer.data.meta.total_count == 3
    assert answer.json()["items"][0]["successful"] is True


def test_count_aggregate_and_batch_have_raw_responses(rsps, responses_client) -> None:
    rsps.post(SEARCH, json={"items": [page([], aggregations={"decimal_value": {"sum": 5}})]},
              headers={"X-Request-Id": "req-1"})
    rsps.post(SEARCH, json={"items": [page([]), page([])]}, headers={"X-Request-Id": "req-2"})
    query = responses_client.search.deals()
    stats = query.with_raw_response.aggregate(sum="decimal_value")
    assert stats.request_id == "req-1" and stats.data.decimal_value.sum == Decimal(5)
    batch = responses_client.search.with_raw_response.batch([query, query.but(per_page=1)])
    assert batch.request_id == "req-2" and [r.successful for r in batch.data] == [True, True]


def test_lazy_actions_are_not_offered_raw(responses_client) -> None:
    with pytest.raises(AttributeError, match="iterate"):
        responses_client.search.deals().with_raw_response.iterate  # noqa: B018


def test_decimals_keep_every_digit_and_other_numbers_are_floats(rsps, responses_client) -> None:
    body = ('{"items": [{"successful": true, "items": [{"data": {"id": 1, "version": 1, '
            f'"decimal_value": {TWENTY_DIGITS}, "customized_win_likelihood": 2.5, '
            '"custom_fields": {"Score": 0.1}}, "meta": {"type": "deal"}}], '
            '"meta": {"count": 1, "total_count": 1, "links": {}, "aggregations": '
            f'{{"decimal_value": {{"sum": {TWENTY_DIGITS}, "terms": [{{"term": {TWENTY_DIGITS}, '
            '"count": 1}]}, "id": {"avg": 1.5}}}}]}')
    rsps.post(SEARCH, body=body, content_type="application/json")
    found = responses_client.search.deals(projection=["decimal_value"]).page()
    record = found.items[0]
    assert record.decimal_value == Decimal(TWENTY_DIGITS)
    assert type(record.customized_win_likelihood) is float
    assert type(record.custom_fields.Score) is float and record.custom_fields.Score == 0.1
    stats = found.aggregations
    assert stats.decimal_value.sum == Decimal(TWENTY_DIGITS)
    assert stats.decimal_value.terms[0].term == Decimal(TWENTY_DIGITS)
    assert type(stats.id.avg) is float


def test_a_body_that_is_not_json_is_an_unexpected_response(rsps, responses_client) -> None:
    rsps.post(SEARCH, body="<html>portal</html>", content_type="text/html")
    with pytest.raises(UnexpectedResponseError, match="text/html"):
        responses_client.search.deals().page()
    rsps.post(SEARCH, body="{not json", content_type="application/json")
    with pytest.raises(UnexpectedResponseError, match="not valid JSON"):
        responses_client.search.deals().page()
