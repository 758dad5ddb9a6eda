"""Searches against the mock keep decimals exact and hand out their raw responses."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from basecrm_like.search import F

TWENTY_DIGITS = Decimal("123456789012345678.91")


def test_a_twenty_digit_decimal_value_comes_back_exact(search_client: Any) -> None:
    org = search_client.contacts.create(name="Difference Engines", is_organization=True)
    search_client.deals.create(name="Big", contact_id=org.id, value=TWENTY_DIGITS)
    search_client.deals.create(name="Small", contact_id=org.id, value=Decimal("0.01"))
    query = search_client.search.deals(F("decimal_value") > 1, projection=["name",
                                                                            "decimal_value"])
    answer = query.with_raw_response.page()
    assert answer.status == 200 and answer.request_id
    assert b"123456789012345678.91" in answer.content  # a JSON number, all digits on the wire
    [record] = answer.data.items
    assert record.name == "Big" and record.decimal_value == TWENTY_DIGITS
    stats = search_client.search.deals().aggregate(sum="decimal_value", max="decimal_value")
    assert stats.decimal_value.max == TWENTY_DIGITS
    assert stats.decimal_value.sum == TWENTY_DIGITS + Decimal("0.01")
