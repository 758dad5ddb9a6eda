"""Refused searches through the client: the typed error names what is wrong."""
from __future__ import annotations

from typing import Any

import pytest

from basecrm_like.search import F, SearchQueryError


@pytest.mark.parametrize(("build", "words"), [
    (lambda s: s.deals(per_page=201), "per_page: must be at most 200"),
    (lambda s: s.deals(per_page=-1), "per_page: must be at least 0"),
    (lambda s: s.deals({"filter": {"attribute": {"name": "name"},
                                   "parameter": {"like": "x"}}}), "'like'"),
    (lambda s: s.deals(F("name") == "x", sort=[("nope", "asc")]), "'nope'"),
    (lambda s: s.deals(F("nope") == 1), "'nope'"),
    (lambda s: s.deals(F("decimal_value") == "a lot"), "decimal_value is a number"),
])
def test_refused_queries_raise_a_typed_error_naming_the_fault(
        search_client: Any, build: Any, words: str) -> None:
    with pytest.raises(SearchQueryError) as caught:
        build(search_client.search).page()
    assert words in str(caught.value)


def test_a_cursor_cannot_be_mixed_with_page_or_offset(search_client: Any) -> None:
    org = search_client.contacts.create(name="Loom Works", is_organization=True)
    for name in ("A", "B"):
        search_client.deals.create(name=name, contact_id=org.id)
    first = search_client.search.deals(per_page=1, sort="id").page()
    assert first.next_cursor
    for extra in ({"page": 1}, {"offset": 1}):
        with pytest.raises(SearchQueryError, match="mutually exclusive"):
            search_client.search.deals(per_page=1, sort="id", **extra).page(first.next_cursor)
