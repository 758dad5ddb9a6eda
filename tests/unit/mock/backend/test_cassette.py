from __future__ import annotations

from pathlib import Path

import pytest

from basecrm_like.mock.backend.cassette import Cassette, scrub, shape_differences


def test_secrets_are_scrubbed_at_any_depth() -> None:
    assert scrub({"data": {"token": "x", "items": [{"password": "p", "name": "n"}]}}) == {
        "data": {"token": "[scrubbed]", "items": [{"password": "[scrubbed]", "name": "n"}]}}


def test_recorded_answers_repeat_in_order_and_survive_a_reload(tmp_path: Path) -> None:
    file = tmp_path / "c.json"
    cassette = Cassette(file)
    for status in (503, 200):
        cassette.record("GET", "/v2/deals", [("b", "2"), ("a", "1")], None, status,
                        {"Content-Type": "application/json", "Date": "x"}, {"items": []})
    loaded = Cassette.load(file)
    statuses = [loaded.answer("GET", "/v2/deals", [("a", "1"), ("b", "2")], None)["status"]
                for _ in range(3)]
    assert statuses == [503, 200, 200]
    assert loaded.interactions[0]["response"]["headers"] == {"Content-Type": "application/json"}
    assert loaded.answer("GET", "/v2/deals", [], None) is None
    assert loaded.closest("GET", "/v2/deal") == "GET /v2/deals"


def test_a_file_that_is_no_cassette_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(ValueError, match="is not a version 1 cassette"):
        Cassette.load(tmp_path / "x.json")
    with pytest.raises(ValueError, match="cannot read"):
        Cassette.load(tmp_path / "missing.json")


def test_shapes_compare_keys_and_types_not_values() -> None:
    real = {"data": {"id": 1, "name": "a", "tags": ["x"], "gone": 1, "when": None}}
    mock = {"data": {"id": 2, "name": 5, "tags": [], "extra": True, "when": "2026"}}
    assert shape_differences(real, mock) == [
        "$.data.gone: missing in the mock", "$.data.extra: only in the mock",
        "$.data.name: string in reality, number in the mock"]
