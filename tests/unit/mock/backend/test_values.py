"""One attribute value checked and normalised against its catalog field type."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend import values
from basecrm_like.resources import CATALOG, Field


def field(resource: str, name: str) -> Field:
    spec = CATALOG[resource].field(name)
    assert spec is not None
    return spec


@pytest.mark.parametrize(("sent", "stored"), [
    (1000.99, "1000.99"), ("1e3", "1000"), (7, "7"), (" 0.10 ", "0.10"),
])
def test_decimals_are_stored_as_exact_strings(sent: object, stored: str) -> None:
    assert values.check(field("deals", "value"), sent) == stored


@pytest.mark.parametrize("sent", [float("nan"), "Infinity", "abc", True, [1]])
def test_bad_decimals_are_refused(sent: object) -> None:
    with pytest.raises(values.ValueProblem):
        values.decimal_string(sent)


def test_timestamps_are_normalised_to_utc() -> None:
    spec = field("tasks", "due_date")
    assert values.check(spec, "2026-01-01T02:00:00+02:00") == "2026-01-01T00:00:00Z"
    assert values.check(spec, "2026-01-31") == "2026-01-31T00:00:00Z"
    with pytest.raises(values.ValueProblem) as info:
        values.check(spec, "soon")
    assert info.value.code == "incorrect_value"


def test_integers_and_lists() -> None:
    with pytest.raises(values.ValueProblem, match="out of range"):
        values.check(field("deals", "contact_id"), values.INT64 + 1)
    with pytest.raises(values.ValueProblem) as info:
        values.check(field("contacts", "tags"), ["ok", 3])
    assert info.value.pointer == "/1"


def test_address_keys_are_checked_and_null_clears() -> None:
    spec = field("contacts", "address")
    with pytest.raises(values.ValueProblem) as info:
        values.check(spec, {"planet": "Mars"})
    assert (info.value.code, info.value.pointer) == ("unknown", "/planet")
    assert values.check(spec, None) == values.empty(spec)
    assert values.empty(spec) is not values.empty(spec)  # a fresh object every time


def test_same_compares_normalised_values() -> None:
    spec = field("deals", "value")
    assert values.same(spec, 10, "10")
    assert not values.same(spec, "abc", "10")
