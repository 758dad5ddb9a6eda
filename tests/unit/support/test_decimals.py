from __future__ import annotations

from decimal import Decimal

import pytest

from basecrm_like.support.decimals import parse_decimal


@pytest.mark.parametrize(("raw", "expected"), [
    ("1000.99", Decimal("1000.99")), (" 12 ", Decimal("12")), (0.1, Decimal("0.1")),
    (7, Decimal("7")), (Decimal("1.50"), Decimal("1.50")),
])
def test_exact_values(raw: object, expected: Decimal) -> None:
    assert parse_decimal(raw) == expected
    assert str(parse_decimal(raw)) == str(expected)


@pytest.mark.parametrize("raw", ["abc", "", "NaN", "Infinity", "-inf", True, float("nan")])
def test_rejects_what_is_not_a_finite_number(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(raw)
