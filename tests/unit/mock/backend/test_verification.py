from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from basecrm_like.mock.backend import verification

LOG: list[dict[str, Any]] = [
    {"method": "POST", "path": "/v2/leads", "query": {}, "body": {"data": {"last_name": "A"}},
     "status": 200},
    {"method": "GET", "path": "/v2/leads", "query": {"page": "2"}, "body": None, "status": 200},
    {"method": "DELETE", "path": "/v2/deals/7", "query": {}, "body": None, "status": 204},
]


def test_select_by_method_glob_and_body() -> None:
    assert len(verification.select(LOG, "post", "/v2/*")) == 1
    assert len(verification.select(LOG, None, "/v2/leads")) == 2
    assert verification.select(LOG, "POST", None, {"data": {"last_name": "B"}}) == []


def test_failure_lists_the_closest_first() -> None:
    with pytest.raises(AssertionError) as info:
        verification.assert_called(LOG, "DELETE", "/v2/deals/8")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("expected DELETE /v2/deals/8 at least once, got it 0 times")
    assert lines[1].strip() == "DELETE /v2/deals/7 -> 204"
    assert "GET /v2/leads?page=2 -> 200" in str(info.value)


@given(st.integers(min_value=0, max_value=5))
def test_times_must_match_exactly(times: int) -> None:
    if times == 1:
        assert len(verification.assert_called(LOG, "GET", "/v2/leads", times=times)) == 1
    else:
        with pytest.raises(AssertionError, match=f"{times} time"):
            verification.assert_called(LOG, "GET", "/v2/leads", times=times)
