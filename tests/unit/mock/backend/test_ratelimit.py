"""The per-token bucket and the Retry-After it answers."""
from __future__ import annotations

import pytest

from basecrm_like.mock.backend.ratelimit import RateLimiter


def test_a_burst_of_rate_then_waits() -> None:
    limiter = RateLimiter(2)
    assert limiter.take("t", now=0.0) is None and limiter.take("t", now=0.0) is None
    assert limiter.take("t", now=0.0) == 1
    assert limiter.take("other", now=0.0) is None  # per token
    assert limiter.take("t", now=1.0) is None
    limiter.clear()
    assert limiter.take("t", now=1.0) is None


def test_slow_rates_wait_whole_seconds() -> None:
    limiter = RateLimiter(0.25)
    assert limiter.take("t", now=0.0) is None
    assert limiter.take("t", now=0.0) == 4
    with pytest.raises(ValueError):
        RateLimiter(0)
