"""The client-side token bucket and how the client builds it from its options."""
from __future__ import annotations

import threading
import time

import pytest
import responses

import basecrm_like
from basecrm_like.ratelimit import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def bucket(rate: float | None, burst: int = 1) -> tuple[TokenBucket, FakeTime]:
    t = FakeTime()
    return TokenBucket(rate, burst=burst, clock=t.clock, sleep=t.sleep), t


def test_permits_are_spaced_at_the_rate() -> None:
    b, t = bucket(10)
    for _ in range(21):
        b.acquire()
    assert t.now - 100.0 == pytest.approx(2.0)
    assert b.acquired == 21


def test_idle_time_does_not_buy_a_burst_beyond_the_configured_one() -> None:
    b, t = bucket(10, burst=3)
    t.now += 60
    for _ in range(3):
        assert b.acquire() == 0.0
    assert b.acquire() == pytest.approx(0.1)


def test_zero_means_unlimited() -> None:
    b, t = bucket(0)
    for _ in range(1000):
        b.acquire()
    assert t.slept == 0.0


def test_a_429_pauses_everyone_and_lowers_the_rate_then_it_recovers() -> None:
    b, t = bucket(10)
    b.acquire()
    b.observe(429, {"Retry-After": "2"})
    assert b.rate_limited == 1 and b.current == pytest.approx(7.0)
    assert b.acquire() == pytest.approx(2.0, abs=0.11)
    for _ in range(200):
        b.observe(200, {})
    assert b.current == pytest.approx(10.0)


def test_a_429_pauses_even_an_unlimited_bucket() -> None:
    b, t = bucket(0)
    b.observe(429, {})
    assert b.acquire() == pytest.approx(1.0)


def test_rate_must_be_a_non_negative_number() -> None:
    with pytest.raises(ValueError):
        TokenBucket(-1)


def test_threads_share_one_budget() -> None:
    b = TokenBucket(200)
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: [b.acquire() for _ in range(10)]) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - started >= 79 / 200 * 0.95


def test_one_bucket_per_client_built_from_its_rate_limit_option() -> None:
    client = basecrm_like.Client(access_token="t" * 64, base_url="https://api.example.test",
                                 rate_limit=5)
    bucket = client.http_client.limiter
    assert isinstance(bucket, TokenBucket) and bucket.rate == 5
    assert client.bulk.limiter is bucket


def test_a_paced_copy_leaves_the_original_unthrottled(client: basecrm_like.Client) -> None:
    paced = client.http_client.with_limiter(TokenBucket(5))
    assert client.http_client.limiter is None
    assert isinstance(paced.limiter, TokenBucket) and paced.limiter.rate == 5


@responses.activate
def test_every_request_of_the_client_goes_through_the_bucket() -> None:
    client = basecrm_like.Client(access_token="t" * 64, base_url="https://api.example.test",
                                 rate_limit=1000, max_retries=0)
    responses.get("https://api.example.test/v2/contacts", json={"items": [], "meta": {}})
    responses.get("https://api.example.test/v2/deals", status=429, json={"errors": []},
                  headers={"Retry-After": "0"})
    client.contacts.list()
    with pytest.raises(basecrm_like.RateLimitError):
        client.deals.list()
    bucket = client.http_client.limiter
    assert isinstance(bucket, TokenBucket)
    assert bucket.acquired == 2 and bucket.rate_limited == 1
