"""Property tests: decimals survive the round trip through the wire exactly."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from basecrm_like.coercion import Coercion
from basecrm_like.http_client import encode_json, encode_params, unwrap_envelope
from basecrm_like.resources import CATALOG
from basecrm_like.services import decode_value, encode_value

finite_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=2,
                              min_value=Decimal("-1e15"), max_value=Decimal("1e15"))
VALUE = CATALOG["deals"].field("value")


@given(finite_decimals)
def test_decimal_round_trip_through_json(value: Decimal) -> None:
    wire = encode_json({"data": {"value": encode_value(VALUE, value)}})  # type: ignore[arg-type]
    back = decode_value(VALUE, unwrap_envelope(json.loads(wire))["value"])  # type: ignore[arg-type]
    assert back == value and str(back) == str(value)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_floats_are_read_as_written(value: float) -> None:
    assert Coercion.to_decimal(value) == Decimal(str(value))
    assert Coercion.to_string(Coercion.to_decimal(value)) == str(Decimal(str(value)))


@given(st.integers(min_value=-10**20, max_value=10**20))
def test_integers(value: int) -> None:
    assert Coercion.to_decimal(value) == value


@pytest.mark.parametrize("bad", ["abc", "1,5", "", "NaN", "Infinity", None])
def test_bad_values_are_clear_errors(bad: object) -> None:
    with pytest.raises(ValueError):
        Coercion.to_decimal(bad)


def test_official_behaviour_for_known_values() -> None:
    assert Coercion.to_decimal("1000.99") == Decimal("1000.99")
    assert Coercion.to_decimal(1000.99) == Decimal("1000.99")
    assert Coercion.to_string(Decimal("1000.99")) == "1000.99"
    assert Coercion.to_string(99) == "99"


@given(st.dictionaries(st.text(min_size=1, alphabet=st.characters(blacklist_characters="[]")),
                       st.one_of(st.text(), st.integers(), st.booleans(),
                                 st.lists(st.integers(), max_size=5)), max_size=5))
def test_param_encoding_is_flat_strings(params: dict) -> None:
    encoded = encode_params({"custom_fields": params})
    assert len(encoded) == len(params)
    for (key, value), (name, original) in zip(encoded, params.items(), strict=True):
        assert key == f"custom_fields[{name}]"
        assert isinstance(value, str)
        if isinstance(original, bool):
            assert value == ("true" if original else "false")
        elif isinstance(original, list):
            assert value == ",".join(str(v) for v in original)
