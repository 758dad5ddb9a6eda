"""Frozen dataclasses built and copied without their per-field __init__."""
from __future__ import annotations

import dataclasses

import pytest

from basecrm_like.http.exchange import ApiResponse, PreparedRequest
from basecrm_like.support.frozen import build, replaced

FIELDS = {"status": 200, "headers": {"X-Request-Id": "r-1", "Content-Type": "application/json"}, "data": {"id": 1},
          "content": b'{"data": {"id": 1}, "meta": {"type": "contact"}}', "elapsed": 0.25,
          "attempts": 2, "method": "GET", "request_url": "http://api.test/v2/contacts/1",
          "request_query": (("page", "1"),)}


def test_build_makes_the_value_init_makes() -> None:
    made = build(ApiResponse, dict(FIELDS))
    assert made == ApiResponse(**FIELDS)
    assert repr(made) == repr(ApiResponse(**FIELDS))
    assert dataclasses.asdict(made) == dataclasses.asdict(ApiResponse(**FIELDS))
    assert made.request_id == "r-1" and made.retries == 1


def test_build_fills_defaults_and_refuses_wrong_fields() -> None:
    shuffled = dict(reversed(list(FIELDS.items())))
    assert build(ApiResponse, shuffled) == ApiResponse(**FIELDS)
    short = build(ApiResponse, {"status": 204, "headers": {}, "data": b"", "content": b""})
    assert short == ApiResponse(204, {}, b"", b"")
    assert (short.attempts, short.method, short.request_query) == (1, "", ())
    with pytest.raises(TypeError, match=r"missing fields \['content', 'headers'\]"):
        build(ApiResponse, {"status": 200, "data": None})
    with pytest.raises(TypeError, match=r"unknown fields \['colour'\]"):
        build(PreparedRequest, {"method": "GET", "url": "u", "query": [], "data": None,
                                "colour": "red"})


def test_built_values_stay_read_only() -> None:
    made = build(PreparedRequest, {"method": "GET", "url": "u", "query": [], "data": None,
                                   "headers": {}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.url = "elsewhere"  # type: ignore[misc]
    assert dataclasses.replace(made, url="v").url == "v" and made.url == "u"


def test_replaced_copies_fields_but_not_values_derived_from_them() -> None:
    answer = ApiResponse(**FIELDS)
    assert answer.meta == {"type": "contact"}  # read once: kept on the instance
    copy = replaced(answer, data=[1, 2])
    assert copy == dataclasses.replace(answer, data=[1, 2])
    assert copy.data == [1, 2] and answer.data == {"id": 1}
    assert "meta" not in copy.__dict__ and copy.meta == {"type": "contact"}
    with pytest.raises(TypeError, match="unknown fields"):
        replaced(answer, colour="red")


def test_classes_it_cannot_make_are_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    @dataclasses.dataclass(frozen=True)
    class Listed:
        items: list[int] = dataclasses.field(default_factory=list)

    for cls in (Checked, Listed):
        with pytest.raises(TypeError, match="needs its own __init__"):
            build(cls, {})
