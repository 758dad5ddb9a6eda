from __future__ import annotations

import pytest

from basecrm_like.mock.backend.stubs import StubBook


def test_first_live_stub_in_order_answers_and_spends_a_use() -> None:
    book = StubBook()
    first = book.add(method="post", path="/v2/deals", status=503, times=2)
    second = book.add(method="*", path="/v2/*", status=418, times=None)
    assert [book.take("POST", "/v2/deals").id for _ in range(3)] == [first.id, first.id, second.id]
    assert book.take("GET", "/v2/leads") is second
    assert book.take("GET", "/_other") is None
    assert [entry["remaining"] for entry in book.entries()] == [0, None]
    assert book.remove(first.id) and not book.remove(first.id)
    book.clear()
    assert book.entries() == [] and book.take("POST", "/v2/deals") is None


@pytest.mark.parametrize(("settings", "message"), [
    ({"method": "FETCH", "path": "/v2"}, "method must be"),
    ({"method": "GET", "path": "v2"}, "path must be"),
    ({"method": "GET", "path": "/v2", "status": 99}, "status must be"),
    ({"method": "GET", "path": "/v2", "times": 0}, "times must be"),
    ({"method": "GET", "path": "/v2", "delay": -1}, "delay must be"),
    ({"method": "GET", "path": "/v2", "headers": {"A": 1}}, "headers must be"),
])
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StubBook().add(**settings)
