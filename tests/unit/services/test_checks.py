"""List filters and values checked against the catalog before sending; dates on request."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st

from basecrm_like import Client, catalog
from basecrm_like.services.checks import (
    InvalidValueError,
    UnknownFilterError,
    format_date_value,
    list_parameter_names,
    parse_date_fields,
)

BASE = "https://api.example.test"
TOKEN = "q" * 64


def client(**options: object) -> Client:
    return Client(access_token=TOKEN, base_url=BASE, max_retries=0, **options)  # type: ignore[arg-type]


@responses.activate
def test_a_misspelt_filter_is_refused_before_sending_with_a_suggestion() -> None:
    with pytest.raises(UnknownFilterError) as caught:
        client().contacts.list(emial="ada@example.org")
    message = str(caught.value)
    assert "did you mean 'email'?" in message and "contacts" in message
    assert isinstance(caught.value, ValueError)
    assert len(responses.calls) == 0


@responses.activate
def test_known_filters_paging_and_custom_fields_are_sent() -> None:
    responses.get(f"{BASE}/v2/contacts", json={"items": [], "meta": {}})
    client().contacts.list(email="a@b.c", page=2, per_page=5, sort_by="id",
                           custom_fields={"Segment": "SMB"}, address={"city": "Paris"})
    assert "email=a%40b.c" in responses.calls[0].request.url


@responses.activate
def test_strict_false_passes_unknown_filters_through() -> None:
    responses.get(f"{BASE}/v2/contacts", json={"items": [], "meta": {}})
    client(strict=False).contacts.list(brand_new_filter="x")
    assert "brand_new_filter=x" in responses.calls[0].request.url


def test_every_resource_lists_its_parameters_once() -> None:
    for res in catalog.RESOURCES:
        names = list_parameter_names(res)
        assert len(names) == len(set(names)) and "page" in names


@responses.activate
def test_a_bad_value_names_the_resource_and_the_field() -> None:
    with pytest.raises(InvalidValueError) as caught:
        client().deals.create(name="x", contact_id=1, value="abc")
    assert str(caught.value).startswith("Deal.value: 'abc' is not a valid decimal")
    assert isinstance(caught.value, ValueError) and len(responses.calls) == 0


RECORD = {"id": 1, "name": "D", "created_at": "2014-08-27T16:32:56Z",
          "estimated_close_date": "2014-09-30", "updated_at": "not a date"}


@responses.activate
def test_dates_stay_strings_by_default_and_parse_on_request() -> None:
    responses.get(f"{BASE}/v2/deals/1", json={"data": RECORD, "meta": {}})
    assert client().deals.retrieve(1).created_at == "2014-08-27T16:32:56Z"
    deal = client(parse_dates=True).deals.retrieve(1)
    assert deal.created_at == dt.datetime(2014, 8, 27, 16, 32, 56, tzinfo=dt.timezone.utc)
    assert deal.estimated_close_date == dt.date(2014, 9, 30)
    assert deal.updated_at == "not a date"   # left as sent rather than lost


@responses.activate
def test_parsed_dates_can_be_sent_back() -> None:
    responses.put(f"{BASE}/v2/deals/1", json={"data": RECORD, "meta": {}})
    client(parse_dates=True).deals.update(1, estimated_close_date=dt.date(2015, 1, 2))
    body = json.loads(responses.calls[0].request.body)
    assert body["data"]["estimated_close_date"] == "2015-01-02"


@given(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2200, 1, 1),
                    timezones=st.just(dt.timezone.utc)).map(lambda d: d.replace(microsecond=0)))
def test_datetimes_round_trip_through_the_api_format(value: dt.datetime) -> None:
    res = catalog.get("deals")
    record = parse_date_fields(res, {"created_at": format_date_value(value)})
    assert record["created_at"] == value
