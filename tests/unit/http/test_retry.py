from __future__ import annotations

import time
from email.utils import formatdate

from basecrm_like.http.retry import MAX_RETRY_AFTER, parse_retry_after


def test_seconds_and_dates() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"Retry-After": "-3"}) == 0.0
    later = parse_retry_after({"Retry-After": formatdate(time.time() + 30, usegmt=True)})
    assert later is not None and 25 <= later <= 31


def test_one_cap_and_unreadable_values() -> None:
    assert parse_retry_after({"Retry-After": "86400"}) == MAX_RETRY_AFTER
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
