"""List query parameters -> SQL conditions, order and paging, with the API's 400s."""
from __future__ import annotations

import json

import pytest

from basecrm_like.mock.backend import query
from basecrm_like.mock.backend.errors import ApiError
from basecrm_like.mock.backend.store import Store
from basecrm_like.resources import CATALOG

from ..conftest import create

CONTACTS = CATALOG["contacts"]


def names(store: Store, **args: str) -> list[str]:
    listing = query.listing(CONTACTS, args)
    rows = store.select(CONTACTS, listing.where, listing.params, listing.order,
                        listing.per_page, (listing.page - 1) * listing.per_page)
    return [json.loads(row)["name"] for row in rows]


@pytest.fixture
def people(store: Store) -> Store:
    create(store, "contacts", first_name="Ada", last_name="Lovelace", tags=["vip"],
           address={"city": "London"}, custom_fields={"Segment": "SMB"})
    create(store, "contacts", first_name="Alan", last_name="Turing", tags=[],
           custom_fields={"Segment": ["SMB", "Enterprise"]})
    create(store, "contacts", is_organization=True, name="Analytical Engines")
    return store


def test_filters_match_stored_values(people: Store) -> None:
    assert names(people, last_name="Turing") == ["Alan Turing"]
    assert names(people, is_organization="true") == ["Analytical Engines"]
    assert sorted(names(people, ids="1,3")) == ["Ada Lovelace", "Analytical Engines"]
    # a list attribute matches when it holds the value (filters() skips the name check)
    vip = query.filters(CONTACTS, {"tags": "vip"})
    assert len(people.select(CONTACTS, vip.where, vip.params, "id", 10)) == 1
    assert names(people, **{"address[city]": "London"}) == ["Ada Lovelace"]
    # a multi-select custom field matches when it holds the value
    assert names(people, **{"custom_fields[Segment]": "Enterprise"}) == ["Alan Turing"]


def test_sort_and_pages_never_overlap(people: Store) -> None:
    assert names(people, sort_by="name:desc") == ["Analytical Engines", "Alan Turing",
                                                  "Ada Lovelace"]
    assert names(people, per_page="2", page="2", sort_by="name") == ["Analytical Engines"]
    assert query.order_by(CONTACTS, "name") == "json_extract(data, '$.name') ASC, id ASC"


@pytest.mark.parametrize(("args", "code", "field"), [
    ({"colour": "red"}, "unknown_param", "colour"),
    ({"page": "0"}, "invalid_param", "page"),
    ({"per_page": "1000"}, "invalid_param", "per_page"),
    ({"ids": "1,x"}, "invalid_param", "ids"),
    ({"is_organization": "maybe"}, "invalid_param", "is_organization"),
    ({"sort_by": "email:sideways"}, "invalid_param", "sort_by"),
    ({"sort_by": "nope"}, "invalid_param", "sort_by"),
])
def test_bad_parameters_are_400(args: dict[str, str], code: str, field: str) -> None:
    with pytest.raises(ApiError) as info:
        query.listing(CONTACTS, args)
    assert info.value.status == 400
    assert (info.value.items[0].code, info.value.items[0].field) == (code, field)


def test_check_known_names_the_allowed_parameters() -> None:
    with pytest.raises(ApiError) as info:
        query.check_known({"x": "1"}, ["includes"])
    assert "includes" in info.value.items[0].details
    with pytest.raises(ApiError, match="unknown_param"):
        query.check_known({"x": "1"}, [])
    query.check_known({"custom_fields[a]": "1"}, [], custom_fields=True)
